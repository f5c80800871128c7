package dev.connpool.internal;

import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The pool's housekeeping thread, a daemon of its own: it runs the evictor every
 * {@code evictInterval} (close idle connections that outlived their lifetime, sat idle too long
 * (never below {@code minSize}) or fail their health check, then open connections in the background
 * up to {@code minSize}) and, while leak detection is on, the leak scan. It exists if either runs,
 * so leak detection works with the evictor disabled.
 *
 * <p>The evictor claims an idle connection before checking it, exactly as a caller would, so callers
 * never block on it: they take another connection meanwhile. The schedule starts once the pool has
 * opened its {@code minSize} connections, so a refill never races the opening ones. Closing the pool
 * stops and joins the thread.
 */
final class HousekeepingThread {

    private final String poolName;
    /** The evictor's runs, or null if disabled. */
    private final Runnable evict;
    private final long evictNanos;
    /** The leak scan, or null if leak detection is off. */
    private final Runnable scanForLeaks;
    private final long scanNanos;
    // guarded by this
    private ScheduledThreadPoolExecutor executor;
    private boolean stopped;
    private volatile Thread thread;

    HousekeepingThread(String poolName, Runnable evict, long evictNanos, Runnable scanForLeaks, long scanNanos) {
        this.poolName = poolName;
        this.evict = evict;
        this.evictNanos = evictNanos;
        this.scanForLeaks = scanForLeaks;
        this.scanNanos = scanNanos;
    }

    /** Starts the schedule, unless the pool closed first. */
    synchronized void start() {
        if (stopped || executor != null) {
            return;
        }
        executor = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "connpool-" + poolName + "-housekeeper");
            t.setDaemon(true);
            thread = t;
            return t;
        });
        executor.setRemoveOnCancelPolicy(true);
        if (evict != null) {
            schedule(evict, evictNanos, "evictor run");
        }
        if (scanForLeaks != null) {
            schedule(scanForLeaks, scanNanos, "leak scan");
        }
    }

    private void schedule(Runnable job, long periodNanos, String what) {
        executor.scheduleWithFixedDelay(() -> {
            try {
                job.run();
            } catch (Throwable t) {
                PoolEngine.LOG.log(System.Logger.Level.WARNING, "connpool '" + poolName + "': " + what + " failed", t);
            }
        }, periodNanos, periodNanos, TimeUnit.NANOSECONDS);
    }

    /**
     * Stops the schedule for good and waits (up to a minute, whatever interrupts arrive) for a run
     * in progress to end and the thread to exit.
     *
     * @return whether the calling thread was interrupted meanwhile (its flag is left clear)
     */
    boolean stop() {
        return halt(true);
    }

    /**
     * Stops the schedule until the next {@link #start()}, as {@link #stop()} does: a suspended pool
     * keeps no thread of its own running (a checkpoint of the JVM wants none).
     *
     * @return whether the calling thread was interrupted meanwhile (its flag is left clear)
     */
    boolean pause() {
        return halt(false);
    }

    private boolean halt(boolean forGood) {
        ScheduledThreadPoolExecutor e;
        Thread current;
        synchronized (this) {
            stopped |= forGood;
            e = executor;
            executor = null;
            current = thread;
            thread = null;
        }
        if (e == null) {
            return false;
        }
        if (current == Thread.currentThread()) {
            e.shutdown(); // called from a run (a health check of the user's that suspends): the run ends by itself
            return false;
        }
        e.shutdownNow();
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        boolean interrupted = false;
        for (;;) {
            try {
                long left = deadline - System.nanoTime();
                if (left > 0) {
                    e.awaitTermination(left, TimeUnit.NANOSECONDS);
                    Thread t = current;
                    left = deadline - System.nanoTime();
                    if (t != null && left > 0) {
                        TimeUnit.NANOSECONDS.timedJoin(t, left);
                    }
                }
                return interrupted;
            } catch (InterruptedException x) {
                interrupted = true;
            }
        }
    }
}
