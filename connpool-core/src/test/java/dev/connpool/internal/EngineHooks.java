package dev.connpool.internal;

import dev.connpool.ConnPool;
import java.lang.reflect.Field;
import java.time.Duration;

/**
 * The engine's test hooks, for tests in other packages: the clock connections age by, and one evictor
 * run on the caller's thread. Test code only (it ships in the test jar, never in the library); the
 * hooks behind it are package-private.
 */
public final class EngineHooks {

    private EngineHooks() {
    }

    /**
     * Ages every connection of every pool in this JVM at once: idle times, lifetimes and the
     * {@code healthCheckAfterIdle} window all see the time move, and so does the age of a lease
     * under leak detection (deadlines, waits and the connect backoff do not). The clock only moves
     * forward and is never reset, so tests must not assume a value, only differences.
     *
     * @param d how far to move it
     */
    public static void advanceClock(Duration d) {
        CoarseClock.advance(d.toNanos());
    }

    /**
     * The precise time connections age by, on the scale lifetimes are measured on.
     *
     * @return {@code System.nanoTime()} plus every advance so far
     */
    public static long clockNanos() {
        return CoarseClock.precise();
    }

    /**
     * One evictor run on the calling thread, as the housekeeping thread does it every
     * {@code evictInterval}: tests that turn the schedule off ({@code evictInterval(ZERO)}) know
     * exactly when it ran.
     *
     * @param pool the pool
     */
    public static void evict(ConnPool pool) {
        engine(pool).evict();
    }

    /**
     * One leak scan on the calling thread, as the housekeeping thread runs it every quarter of
     * {@code leakDetectionThreshold}: with {@link #advanceClock} a test holds a lease "past the
     * threshold" without waiting for it. Does nothing while leak detection is off.
     *
     * @param pool the pool
     */
    public static void scanForLeaks(ConnPool pool) {
        engine(pool).scanForLeaks();
    }

    private static PoolEngine engine(ConnPool pool) {
        try {
            Field f = ConnPool.class.getDeclaredField("engine");
            f.setAccessible(true);
            return (PoolEngine) f.get(pool);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("ConnPool has no engine field", e);
        }
    }
}
