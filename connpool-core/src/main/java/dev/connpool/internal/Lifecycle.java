package dev.connpool.internal;

import dev.connpool.CloseReason;
import dev.connpool.ConnectFailedException;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Start, suspend and resume, close. Start opens {@code minSize} connections in parallel and waits
 * for them. Suspend and resume switch the bag and make the housekeeping thread follow. Close
 * runs once, whoever calls it first: it fails waiters, closes idle connections, stops and joins the
 * pool's threads; every later or concurrent call waits for that and then, like the first, for the
 * connections still lent. Each step runs in its own {@code finally}, so a socket or a thread that
 * throws cannot leave a later {@code close()} waiting forever.
 */
final class Lifecycle {

    /** How long {@code close()} waits for connects in progress to end. */
    private static final long CONNECTOR_JOIN_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final PoolEngine pool;
    /** Null when neither the evictor nor leak detection runs. */
    private final HousekeepingThread housekeeping;
    private final boolean usesClock;
    /** Orders the housekeeping thread's pauses, restarts and final stop. */
    private final Object housekeepingState = new Object();
    private final CountDownLatch closeDone = new CountDownLatch(1);

    /** Whether a shutdown grace ran out and connections were closed under their users; under the lock. */
    private boolean forced;

    Lifecycle(PoolEngine pool, HousekeepingThread housekeeping, boolean usesClock) {
        this.pool = pool;
        this.housekeeping = housekeeping;
        this.usesClock = usesClock;
        if (usesClock) {
            CoarseClock.retain();
        }
    }

    /**
     * Opens {@code minSize} connections in parallel and waits for them.
     *
     * @throws IOException the first connect failure, if {@code failFast}
     */
    void start(boolean failFast) throws IOException {
        openMinimum(failFast);
        if (housekeeping != null) {
            housekeeping.start();
        }
    }

    /** Stops lending and connecting until {@link #resume()}; returns still work. */
    void suspend() {
        Bag bag = pool.bag;
        Thread probe;
        bag.lock.lock();
        try {
            bag.suspended = true;
            // a probe waiting out the backoff (up to maxConnectBackoff) gives up now, not at its time
            probe = pool.capacity.probe == null ? null : pool.capacity.probe.waiting;
        } finally {
            bag.lock.unlock();
        }
        if (probe != null) {
            LockSupport.unpark(probe);
        }
        followSuspension();
    }

    /**
     * Lends and connects again: the waiters, who have waited through the suspension, are served in
     * order (hand-off mode) before anyone barges in, and the pool refills to {@code minSize}.
     */
    void resume() {
        Bag bag = pool.bag;
        bag.lock.lock();
        try {
            if (!bag.suspended) {
                return;
            }
            bag.suspended = false;
            if (bag.closed) {
                return;
            }
            if (!bag.waiters.isEmpty()) {
                bag.handOff = true;
            }
            bag.serveWaitersLocked();
            pool.capacity.refillLocked();
        } finally {
            bag.lock.unlock();
        }
        followSuspension();
    }

    /**
     * Makes the pool's threads follow the suspension, so that a suspended pool runs no thread of its
     * own: the housekeeping thread is stopped (and joined) while the pool is suspended and started
     * again on resume; connector threads end as soon as they have no connect to run.
     * Reads the latest state, so concurrent suspends and resumes end with the thread matching it.
     */
    void followSuspension() {
        boolean interrupted = false;
        synchronized (housekeepingState) {
            boolean suspended = pool.bag.suspended;
            pool.capacity.connector.followSuspension(suspended);
            if (housekeeping == null) {
                return;
            }
            if (suspended) {
                interrupted = housekeeping.pause();
            } else if (!pool.bag.closed) {
                housekeeping.start();
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private void openMinimum(boolean failFast) throws IOException {
        int n = pool.capacity.minSize;
        if (n == 0) {
            return;
        }
        List<Throwable> failures = new ArrayList<>();
        CountDownLatch done = new CountDownLatch(n);
        List<Connector.Task> tasks = new ArrayList<>(n);
        Bag bag = pool.bag;
        bag.lock.lock();
        try {
            for (int i = 0; i < n; i++) {
                tasks.add(pool.capacity.reserveLocked(err -> {
                    if (err != null) {
                        synchronized (failures) {
                            failures.add(err);
                        }
                    }
                    done.countDown();
                }));
            }
        } finally {
            bag.lock.unlock();
        }
        for (Connector.Task t : tasks) {
            try {
                pool.capacity.connector.submit(t);
            } catch (Throwable e) {
                // no thread for it: its room goes back and it counts as a failed connect
                pool.capacity.abandon(t, bag);
                t.onDone.accept(e);
            }
        }
        awaitUninterruptibly(done);
        if (!failures.isEmpty() && failFast) {
            Throwable first = failures.get(0);
            close(-1);
            IOException e = new ConnectFailedException(pool.name, first);
            failures.stream().skip(1).forEach(e::addSuppressed);
            throw e;
        }
    }

    /**
     * Closes the pool. With a negative grace, connections in use are closed when returned;
     * otherwise this waits up to the grace for them and then closes the rest under their users.
     *
     * @return true if no connection was left open and none had to be closed under its user
     */
    boolean close(long graceNanos) {
        Bag bag = pool.bag;
        boolean first;
        bag.lock.lock();
        try {
            first = !bag.closed;
            bag.closed = true;
        } finally {
            bag.lock.unlock();
        }
        if (first) {
            try {
                shutdown();
            } finally {
                closeDone.countDown();
            }
        } else {
            awaitUninterruptibly(closeDone);
        }
        return drain(graceNanos);
    }

    /**
     * The part of close() done once: fail waiters, close idle, stop threads. It runs with the
     * caller's interrupt flag set aside (and set again at the end), so that a close from an
     * interrupted thread (a shutdown hook, a cancelled task) still joins every thread it stops.
     * Each step runs even if the one before it throws (an Error): a step's {@code finally} block is
     * the call to the next, one method a step, so that javac copies one call onto the exceptional
     * path instead of the steps themselves.
     */
    private void shutdown() {
        boolean interrupted = Thread.interrupted();
        try {
            Bag bag = pool.bag;
            Slot[] idle;
            bag.lock.lock();
            try {
                bag.failWaitersLocked();
                idle = bag.drainAvailableLocked();
            } finally {
                bag.lock.unlock();
            }
            pool.closer.closeAll(idle);
        } finally {
            stopThreads(interrupted);
        }
    }

    /** Stops the housekeeping thread, then the connector (whatever the first throws). */
    private void stopThreads(boolean interrupted) {
        try {
            if (housekeeping != null) {
                synchronized (housekeepingState) { // after a pause in progress has joined the thread
                    interrupted |= housekeeping.stop();
                }
            }
        } finally {
            stopConnector(interrupted);
        }
    }

    /** Stops the connector, then releases the clock and sets the interrupt flag again if it was set. */
    private void stopConnector(boolean interrupted) {
        try {
            interrupted |= pool.capacity.connector.shutdownUninterruptibly(CONNECTOR_JOIN_NANOS);
        } finally {
            finishShutdown(interrupted);
        }
    }

    /** Releases the engine clock and sets the interrupt flag again if it was set. */
    private void finishShutdown(boolean interrupted) {
        if (usesClock) {
            CoarseClock.release();
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Waits up to the grace for lent connections to come back, then closes the rest under their
     * users (their later return does nothing). A negative grace does not wait nor force.
     *
     * @return true if all came back in time and none was forced, by this call or another
     */
    private boolean drain(long graceNanos) {
        Bag bag = pool.bag;
        Capacity room = pool.capacity;
        // the grace is the caller's to give: an interrupt does not cut it short (it is kept for later)
        boolean interrupted = Thread.interrupted();
        Slot[] taken = null;
        boolean clean;
        bag.lock.lock();
        try {
            long left = graceNanos;
            while (room.open > 0 && left > 0) {
                try {
                    bag.lock.wakeNow(); // the wait releases the lock without unlock()
                    left = room.drained.awaitNanos(left);
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (room.open > 0 && graceNanos >= 0) {
                List<Slot> lent = new ArrayList<>();
                for (int i = room.open - 1; i >= 0; i--) {
                    Slot s = room.all[i];
                    if (bag.forceRemoveLocked(s)) {
                        lent.add(s);
                        room.unregisterLocked(s, CloseReason.SHUTDOWN);
                    }
                }
                taken = lent.toArray(new Slot[0]);
                forced |= taken.length > 0;
            }
            clean = room.open == 0 && !forced;
        } finally {
            bag.lock.unlock();
        }
        pool.closer.abortAll(taken);
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        return clean;
    }

    private static void awaitUninterruptibly(CountDownLatch latch) {
        boolean interrupted = false;
        while (true) {
            try {
                latch.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
