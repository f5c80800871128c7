package dev.connpool.internal;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A clock the hot path can afford. {@link System#nanoTime()} costs 25-30 ns on common virtual
 * machines (kvm-clock), as much as a whole get/release; idle and lifetime checks need
 * milliseconds, not nanoseconds. One daemon thread, shared by every pool that needs time checks,
 * stores {@code nanoTime()} into a volatile field every {@link #TICK_NANOS}; readers pay one
 * volatile read.
 *
 * <p>The thread lives while at least one pool holds the clock ({@link #retain()} /
 * {@link #release()}), so closing the last pool leaves no thread behind.
 *
 * <p>A reading lags real time by about one tick while the ticker is scheduled normally, more on
 * an overloaded machine. Idle timeouts tolerate that; the lifetime ceiling must not be exceeded,
 * so lifetime checks switch to the precise clock ({@link #precise()}) for the last stretch of a
 * connection's life (see {@code Slot#preciseFrom}), which covers lags up to that stretch.
 *
 * <p>Both readings are the time connections age by: {@code System.nanoTime()} plus a skew that only
 * tests move ({@link #advance}), so that idle-timeout, lifetime, evictor and leak-detection tests
 * need not wait real time. The skew costs the hot path nothing: the ticker adds it, readers of
 * {@link #now()} still pay one volatile read, and only the precise reading (the last stretch of a
 * lifetime, a connect's start, a lease's start and age under leak detection) adds a second volatile
 * read, a plain load on x86. Deadlines, waits and the connect backoff run on
 * {@code System.nanoTime()} itself.
 */
public final class CoarseClock {

    /** How often the clock advances. */
    public static final long TICK_NANOS = 4_000_000L;

    /** The least stretch at the end of a lifetime that is checked with the precise clock. */
    public static final long SLACK_NANOS = 2 * TICK_NANOS;

    /**
     * What tests moved the clock by; 0 in production. Written only by {@link #advance}, which only
     * tests call; it only grows, so that the clock stays monotonic for every reader.
     */
    private static volatile long skew;

    private static volatile long now = System.nanoTime();

    // guarded by CoarseClock.class
    private static int holders;
    private static Ticker ticker;

    private CoarseClock() {
    }

    /**
     * The time, in {@link System#nanoTime()} units, as of the last tick.
     *
     * @return a reading at most about one tick behind {@link #precise()}
     */
    public static long now() {
        return now;
    }

    /**
     * The precise time connections age by, on the scale of {@link #now()}: what lifetimes are
     * measured from and, near their end, checked against.
     *
     * @return {@code System.nanoTime()} plus the skew tests added
     */
    static long precise() {
        return System.nanoTime() + skew;
    }

    /**
     * Moves the clock forward, for tests: every connection ages by {@code nanos} at once. Returns once
     * {@link #now()} shows it (the ticker, when it runs, may overwrite the first write with a reading
     * taken just before; its next tick, a few milliseconds later, shows the new skew).
     *
     * @param nanos how far, at least 0
     * @throws IllegalStateException if the ticker does not show it within ten seconds
     */
    static synchronized void advance(long nanos) {
        if (nanos < 0) {
            throw new IllegalArgumentException("the clock only moves forward: " + nanos);
        }
        skew += nanos;
        long target = precise();
        now = target;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (now - target < 0) {
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("the coarse clock did not advance within 10 s");
            }
            LockSupport.parkNanos(TICK_NANOS / 4);
        }
    }

    /** Registers a user of the clock, starting the ticker for the first one. */
    public static synchronized void retain() {
        if (holders++ == 0) {
            now = precise();
            ticker = new Ticker();
            ticker.start();
        }
    }

    /** Unregisters a user of the clock, stopping (and joining) the ticker after the last one. */
    public static synchronized void release() {
        if (holders <= 0) {
            throw new IllegalStateException("CoarseClock released more often than retained");
        }
        if (--holders == 0) {
            Ticker t = ticker;
            ticker = null;
            t.running = false;
            LockSupport.unpark(t);
            boolean interrupted = false;
            while (t.isAlive()) {
                try {
                    t.join();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Whether the ticker thread runs (for tests). */
    static synchronized boolean running() {
        return ticker != null;
    }

    private static final class Ticker extends Thread {

        volatile boolean running = true;

        Ticker() {
            // shared by every pool in the JVM, so it must not hold on to the application that
            // happened to start it: no inherited thread-locals, no context class loader
            super(null, null, "connpool-clock", 0, false);
            setContextClassLoader(null);
            setDaemon(true);
        }

        @Override
        public void run() {
            while (running) {
                now = precise();
                LockSupport.parkNanos(this, TICK_NANOS);
            }
        }
    }
}
