package dev.connpool.internal;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Runs a pool's connects on threads of its own, so that no caller ever connects while holding
 * anything another caller needs, a caller waiting for a connect can give up at its deadline, and
 * a connect nobody waits for any more still ends up in the pool.
 *
 * <p>Threads are made on demand and end after a few idle seconds, or as soon as they are idle while
 * the pool is suspended; the number running is bounded by the pool's room ({@code maxSize}).
 * Closing the pool interrupts them, which aborts connects of channel-based sockets at once.
 */
final class Connector {

    /** How long an idle thread waits for another connect before it ends, while the pool is not suspended. */
    private static final long KEEP_ALIVE_SECONDS = 5;

    /**
     * One connect. Its target is the waiter it was started (or later assigned) for; null for
     * background connects (increment extras, refills). Guarded by the pool's lock.
     */
    static final class Task implements Runnable {

        private final PoolEngine engine;
        Waiter target;
        /** Called with null on success or the failure, after the pool has taken the result in. */
        final Consumer<Throwable> onDone;
        /** When it was started ({@code System.nanoTime()}), for the connect backoff. */
        final long startedAt;
        /** The pool's soft-eviction generation when it was started: an older one brings a retired connection. */
        final int generation;
        /** Whether it is the backoff's probe, which waits for the backoff to end before it dials. */
        final boolean probe;
        /** Whether a probe has stopped waiting and dials; guarded by the pool's lock. */
        boolean dialing;
        /** The thread of a probe that waits out the backoff, to wake when it is called off; guarded by the pool's lock. */
        Thread waiting;

        Task(PoolEngine engine, Consumer<Throwable> onDone, long startedAt, int generation, boolean probe) {
            this.engine = engine;
            this.onDone = onDone;
            this.startedAt = startedAt;
            this.generation = generation;
            this.probe = probe;
        }

        @Override
        public void run() {
            engine.connect(this);
        }
    }

    private final ThreadPoolExecutor executor;
    /** Threads made, the ones that ended dropped as new ones are made, so that shutdown can join them all. */
    private final Set<Thread> threads = ConcurrentHashMap.newKeySet();

    private final String poolName;

    Connector(String poolName) {
        this.poolName = poolName;
        AtomicInteger n = new AtomicInteger();
        ThreadFactory factory = r -> {
            Thread t = new Thread(r, "connpool-" + poolName + "-connect-" + n.incrementAndGet());
            t.setDaemon(true);
            // a thread stays in the set until it has ended, even one that an Error from the factory
            // ends (it is still alive while the JVM reports the Error), so that shutdown joins it too
            threads.removeIf(old -> !old.isAlive());
            threads.add(t);
            return t;
        };
        executor = new ThreadPoolExecutor(0, Integer.MAX_VALUE, KEEP_ALIVE_SECONDS, TimeUnit.SECONDS,
                new SynchronousQueue<>(), factory);
    }

    /**
     * Follows the pool's suspension: while it is suspended no connect starts, so a thread ends as
     * soon as it has no connect to run (idle ones now, one still connecting when its connect ends)
     * instead of idling for seconds; a suspended pool keeps no idle thread. A connect in progress is
     * not disturbed (a probe waiting out the backoff is woken by the suspension itself, and gives up).
     *
     * @param suspended whether the pool is suspended now
     */
    void followSuspension(boolean suspended) {
        if (suspended) {
            // shortening the keep-alive wakes the idle threads, which then find it run out
            executor.setKeepAliveTime(0, TimeUnit.NANOSECONDS);
        } else {
            executor.setKeepAliveTime(KEEP_ALIVE_SECONDS, TimeUnit.SECONDS);
        }
    }

    void submit(Task task) {
        executor.execute(task);
    }

    /** Interrupts connects in progress and waits up to the given time for the threads to end. */
    private boolean shutdown(long timeoutNanos) throws InterruptedException {
        executor.shutdownNow();
        if (!executor.awaitTermination(timeoutNanos, TimeUnit.NANOSECONDS)) {
            return false;
        }
        // every worker has left its task loop: what remains of each is its end (and an Error's report)
        for (Thread t : threads) {
            t.join();
        }
        threads.clear();
        return true;
    }

    /**
     * {@link #shutdown(long)} whatever interrupts arrive; logs a connect that outlives the wait.
     *
     * @return whether the calling thread was interrupted meanwhile (its flag is left clear)
     */
    boolean shutdownUninterruptibly(long timeoutNanos) {
        long deadline = System.nanoTime() + timeoutNanos;
        boolean interrupted = false;
        for (;;) {
            try {
                if (!shutdown(Math.max(0, deadline - System.nanoTime()))) {
                    PoolEngine.LOG.log(System.Logger.Level.WARNING, "connpool '" + poolName
                            + "': a connect still runs after close(); its socket will be closed when it ends");
                }
                return interrupted;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
    }
}
