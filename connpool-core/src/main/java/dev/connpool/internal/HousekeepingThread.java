package dev.connpool.internal;

import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The pool's housekeeping, every {@code evictInterval} on a daemon thread of its own: close idle
 * connections that outlived their lifetime, sat idle too long (never below {@code minSize}) or
 * fail their health check, then open connections in the background up to {@code minSize}.
 *
 * <p>It claims an idle connection before checking it, exactly as a caller would, so callers
 * never block on it: they take another connection meanwhile. Its schedule starts once the pool has
 * opened its {@code minSize} connections, so a refill never races the opening ones. Closing the pool
 * stops and joins it.
 */
final class Evictor {

    private final PoolEngine engine;
    private final String poolName;
    private final long intervalNanos;
    // guarded by this
    private ScheduledThreadPoolExecutor executor;
    private boolean stopped;
    private volatile Thread thread;

    Evictor(PoolEngine engine, String poolName, long intervalNanos) {
        this.engine = engine;
        this.poolName = poolName;
        this.intervalNanos = intervalNanos;
    }

    /** Starts the schedule, unless the pool closed first. */
    synchronized void start() {
        if (stopped || executor != null) {
            return;
        }
        executor = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "connpool-" + poolName + "-evictor");
            t.setDaemon(true);
            thread = t;
            return t;
        });
        executor.setRemoveOnCancelPolicy(true);
        executor.scheduleWithFixedDelay(() -> {
            try {
                engine.evict();
            } catch (Throwable t) {
                PoolEngine.LOG.log(System.Logger.Level.WARNING, "connpool '" + poolName + "': evictor run failed", t);
            }
        }, intervalNanos, intervalNanos, TimeUnit.NANOSECONDS);
    }

    /**
     * Stops the schedule and waits (up to a minute, whatever interrupts arrive) for a run in
     * progress to end and the thread to exit.
     *
     * @return whether the calling thread was interrupted meanwhile (its flag is left clear)
     */
    boolean stop() {
        ScheduledThreadPoolExecutor e;
        synchronized (this) {
            stopped = true;
            e = executor;
        }
        if (e == null) {
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
                    Thread t = thread;
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
