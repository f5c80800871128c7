package dev.connpool.internal;

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
 * so lifetime checks switch to {@link System#nanoTime()} for the last stretch of a connection's
 * life (see {@code Slot#preciseFrom}), which covers lags up to that stretch.
 */
public final class CoarseClock {

    /** How often the clock advances. */
    public static final long TICK_NANOS = 4_000_000L;

    /** The least stretch at the end of a lifetime that is checked with the precise clock. */
    public static final long SLACK_NANOS = 2 * TICK_NANOS;

    private static volatile long now = System.nanoTime();

    // guarded by CoarseClock.class
    private static int holders;
    private static Ticker ticker;

    private CoarseClock() {
    }

    /**
     * The time, in {@link System#nanoTime()} units, as of the last tick.
     *
     * @return a reading at most about one tick behind {@code System.nanoTime()}
     */
    public static long now() {
        return now;
    }

    /** Registers a user of the clock, starting the ticker for the first one. */
    public static synchronized void retain() {
        if (holders++ == 0) {
            now = System.nanoTime();
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
                now = System.nanoTime();
                LockSupport.parkNanos(this, TICK_NANOS);
            }
        }
    }
}
