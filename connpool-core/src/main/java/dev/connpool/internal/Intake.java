package dev.connpool.internal;

import dev.connpool.CloseReason;
import dev.connpool.ConnPoolException;
import dev.connpool.ConnectionFactory;

import java.io.IOException;
import java.net.Socket;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.LockSupport;

/**
 * Connect intake: what runs on a {@link Connector} thread. It waits out the backoff for the probe,
 * calls the factory, and takes the result in under the lock: a new connection goes to the connect's
 * waiter or the bag (or is closed at once if the pool closed, shrank or was soft-evicted meanwhile),
 * a failure goes to the waiter and the {@link Backoff}. It also keeps what the latest attempts say
 * about the backend ({@link #lastFailureLocked()}), for the timeout's message and the health
 * indicator. {@link Capacity} decides which connects start; this class asks it to after each result
 * (the refill after a recovery, connects for the waiters still queued).
 */
final class Intake {

    private final PoolEngine pool;
    private final Capacity capacity;
    private final ConnectionFactory factory;
    private final Counters counters;
    private final long maxLifetimeNanos;

    /** The failure of the latest attempt to reach the backend, until something reached it. */
    volatile Throwable lastFailure;
    /** Successful gets counted when {@link #lastFailure} was set; a lend since then clears it. */
    private long successesAtFailure;

    Intake(PoolEngine pool, Capacity capacity, ConnectionFactory factory, Counters counters, long maxLifetimeNanos) {
        this.pool = pool;
        this.capacity = capacity;
        this.factory = factory;
        this.counters = counters;
        this.maxLifetimeNanos = maxLifetimeNanos;
    }

    /**
     * Runs on the probe's connector thread until the backoff allows the connect.
     *
     * @return false if the probe was called off (the pool closed or was suspended meanwhile); its
     *         room is given back then
     */
    private boolean awaitProbeTime(Connector.Task task) {
        Bag bag = pool.bag;
        for (;;) {
            long left;
            bag.lock.lock();
            try {
                if (bag.closed || bag.suspended) {
                    capacity.connecting--;
                    capacity.probe = null;
                    task.waiting = null;
                    return false;
                }
                left = capacity.backoff.retryAt - System.nanoTime();
                if (left <= 0) {
                    task.dialing = true;
                    task.waiting = null;
                    return true;
                }
                task.waiting = Thread.currentThread();
            } finally {
                bag.lock.unlock();
            }
            // close() interrupts this thread, and sets closed first; suspend() sets suspended first and
            // unparks it (Lifecycle.suspend): either way the next round sees it
            LockSupport.parkNanos(this, left);
        }
    }

    /** Runs on a connector thread: opens one connection and gives it to a waiter or the bag. */
    void connect(Connector.Task task) {
        if (task.probe && !awaitProbeTime(task)) {
            return;
        }
        Socket socket = null;
        Throwable failure = null;
        long t0 = System.nanoTime();
        long bornAt = CoarseClock.precise(); // the scale lifetimes are measured on
        try {
            socket = factory.create();
            if (socket == null) {
                failure = new ConnPoolException("connection factory of pool '" + pool.name + "' returned null");
            } else if (!socket.isConnected() || socket.isClosed()) {
                Closer.closeQuietly(socket);
                socket = null;
                failure = new ConnPoolException(
                        "connection factory of pool '" + pool.name + "' returned a socket that is not connected");
            }
        } catch (Throwable t) {
            failure = t;
        }
        long took = System.nanoTime() - t0;
        boolean closeIt = false;
        Slot unwanted = null;
        Bag bag = pool.bag;
        bag.lock.lock();
        try {
            capacity.connecting--;
            if (task == capacity.probe) {
                capacity.probe = null;
            }
            Waiter target = task.target;
            task.target = null;
            if (target == null) {
                capacity.unassigned.remove(task);
            } else {
                target.task = null;
            }
            if (socket != null) {
                counters.created++;
                lastFailure = null;
                boolean recovered = capacity.backoff.succeeded();
                if (bag.closed) {
                    counters.closedBy[CloseReason.SHUTDOWN.ordinal()]++;
                    closeIt = true;
                } else {
                    // lifetimes count from before the connect: the ceiling holds whatever the connect took
                    Slot s = new Slot(socket, bornAt, drawLifetime(), Slot.state(1, Slot.BORROWED));
                    capacity.registerLocked(s);
                    if (task.generation != capacity.generation || capacity.liveLocked() > capacity.maxSize) {
                        // started before a soft eviction, or the pool shrank meanwhile: it goes at once
                        s.retiring = task.generation != capacity.generation;
                        s.setState(Slot.state(1, Slot.REMOVED));
                        capacity.dying++;
                        unwanted = s;
                    } else {
                        bag.intakeLocked(s, target);
                    }
                    if (recovered) {
                        capacity.refillLocked();
                        bag.serveWaitersLocked();
                    }
                }
            } else {
                counters.connectFailures++;
                lastFailure = failure;
                successesAtFailure = pool.successesLocked();
                if (!bag.closed) {
                    capacity.backoff.failed(task.startedAt, failure, System.nanoTime());
                }
                if (target != null) {
                    bag.dequeueLocked(target);
                    target.complete(failure);
                }
                if (!bag.closed) {
                    bag.serveWaitersLocked();
                }
            }
        } finally {
            bag.lock.unlock();
        }
        if (closeIt) {
            Closer.closeQuietly(socket);
        }
        if (unwanted != null) {
            pool.closer.closeAndRetire(unwanted, unwanted.retiring ? CloseReason.LIFETIME : CloseReason.IDLE);
        }
        if (socket != null) {
            counters.connected(took);
        } else if (!(failure instanceof IOException) && !(failure instanceof InterruptedException)) {
            PoolEngine.LOG.log(System.Logger.Level.WARNING, "connpool '" + pool.name + "': connection factory threw",
                    failure);
        }
        if (task.onDone != null) {
            task.onDone.accept(failure);
        }
        if (failure instanceof Error && !(failure instanceof StackOverflowError)) {
            throw (Error) failure;
        }
    }

    /**
     * The failure of the latest attempt to reach the backend, unless a connection was connected,
     * checked or lent successfully since. Call with the lock held.
     */
    Throwable lastFailureLocked() {
        Throwable f = lastFailure;
        if (f != null && pool.successesLocked() != successesAtFailure) {
            lastFailure = null; // lent since: the backend answered someone
            return null;
        }
        return f;
    }

    /** Something reached the backend: a check passed. */
    void reached() {
        if (lastFailure != null) {
            lastFailure = null;
        }
    }

    /** A lifetime drawn uniformly from [0.9, 1.0] × maxLifetime; 0 when lifetimes are off. */
    long drawLifetime() {
        if (maxLifetimeNanos <= 0) {
            return 0;
        }
        long low = maxLifetimeNanos - maxLifetimeNanos / 10;
        return ThreadLocalRandom.current().nextLong(low, maxLifetimeNanos + 1);
    }
}
