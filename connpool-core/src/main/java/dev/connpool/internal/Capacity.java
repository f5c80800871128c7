package dev.connpool.internal;

import dev.connpool.CloseReason;
import dev.connpool.ConnPoolException;
import dev.connpool.ConnectionFactory;

import java.io.IOException;
import java.net.Socket;
import java.util.ArrayDeque;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.Condition;

/**
 * Room and growth: which connections are open, how many are being opened, and when to open more.
 * Connects run on the {@link Connector}'s threads; this class decides to start them (for waiters,
 * the {@code increment} extras, the refill to {@code minSize}) and takes their results in.
 *
 * <h2>Invariants (under the pool's lock)</h2>
 * <ul>
 *   <li>{@code open + connecting <= maxSize}: room is reserved before a connect starts and freed
 *       when it fails, or when the connection's socket has been closed ({@link #retireLocked}), so
 *       a replacement is never opened while the old socket is still open.</li>
 *   <li>A slot is in {@code all} iff it is not retired; {@code dying} of them are being closed.</li>
 *   <li>A connect has a target waiter, or is in {@code unassigned}, where a newly queued waiter may
 *       adopt it; never both.</li>
 * </ul>
 */
final class Capacity {

    private final PoolEngine pool;
    private final ConnectionFactory factory;
    private final Counters counters;
    final Connector connector;
    final int minSize;
    final int maxSize;
    private final int increment;
    private final long maxLifetimeNanos;

    // ---- guarded by the pool's lock ----
    /** Open slots in no particular order; the first {@code open} entries are used. */
    final Slot[] all;
    int open;
    /** Slots removed whose sockets are being closed: still in {@code open}, so their room stays taken. */
    int dying;
    int connecting;
    /** Connects started for no waiter in particular, which a newly queued waiter may adopt. */
    final ArrayDeque<Connector.Task> unassigned = new ArrayDeque<>();
    /** Signalled when the pool is closed and its last connection went away. */
    final Condition drained;

    /** The failure of the latest attempt to reach the backend, until something reached it. */
    volatile Throwable lastFailure;
    /** Successful gets counted when {@link #lastFailure} was set; a lend since then clears it. */
    private long successesAtFailure;

    Capacity(PoolEngine pool, ConnectionFactory factory, Counters counters, int minSize, int maxSize,
             int increment, long maxLifetimeNanos) {
        this.pool = pool;
        this.factory = factory;
        this.counters = counters;
        this.minSize = minSize;
        this.maxSize = maxSize;
        this.increment = increment;
        this.maxLifetimeNanos = maxLifetimeNanos;
        this.all = new Slot[maxSize];
        this.drained = pool.bag.lock.newCondition();
        this.connector = new Connector(pool.name);
    }

    void registerLocked(Slot s) {
        all[open++] = s;
    }

    /** Takes a slot out of {@code all} and counts it closed for its reason. */
    void unregisterLocked(Slot s, CloseReason reason) {
        for (int i = 0; i < open; i++) {
            if (all[i] == s) {
                all[i] = all[--open];
                all[open] = null;
                counters.retireLocked(s, reason);
                if (open == 0 && pool.bag.closed) {
                    drained.signalAll();
                }
                return;
            }
        }
        throw new IllegalStateException("slot not registered: " + s);
    }

    /** Frees the room of a removed slot whose socket is closed, and lets waiters use it. */
    void retireLocked(Slot s, CloseReason reason) {
        dying--;
        unregisterLocked(s, reason);
        if (!pool.bag.closed) {
            pool.bag.serveWaitersLocked();
        }
    }

    /** Whether a newly queued waiter would get a connect of its own rather than wait for a return. */
    boolean canConnectLocked() {
        return !unassigned.isEmpty() || open + connecting < maxSize;
    }

    /**
     * Gives each waiter that has no connect one, adopting background connects first, then starting
     * new ones while there is room, topped up to {@code increment} when the pool grows.
     */
    void connectForWaitersLocked(Waiter head) {
        int started = 0;
        for (Waiter w = head; w != null; w = w.next) {
            if (w.task != null) {
                continue;
            }
            Connector.Task t = unassigned.poll();
            if (t == null) {
                if (open + connecting >= maxSize) {
                    break;
                }
                t = new Connector.Task(pool, null, null);
                connecting++;
                if (!startLocked(t)) {
                    break;
                }
                started++;
            }
            t.target = w;
            w.task = t;
        }
        if (started > 0) {
            startBackgroundLocked(Math.min(increment - started, maxSize - open - connecting));
        }
    }

    /** Starts background connects until open plus connecting reach minSize. */
    void refillLocked() {
        startBackgroundLocked(minSize - open - connecting);
    }

    private void startBackgroundLocked(int n) {
        for (int i = 0; i < n; i++) {
            Connector.Task t = new Connector.Task(pool, null, null);
            connecting++;
            unassigned.add(t);
            if (!startLocked(t)) {
                return;
            }
        }
    }

    /** Reserves room for a connect started by {@code start()}. */
    Connector.Task reserveLocked(java.util.function.Consumer<Throwable> onDone) {
        Connector.Task t = new Connector.Task(pool, null, onDone);
        connecting++;
        unassigned.add(t);
        return t;
    }

    /**
     * Starts a connect whose room is reserved; if no thread can run it, gives the room back.
     *
     * @return whether it started
     */
    /** Gives back the room of a reserved connect that never started (takes the lock). */
    void abandon(Connector.Task t, Bag bag) {
        bag.lock.lock();
        try {
            unreserveLocked(t);
        } finally {
            bag.lock.unlock();
        }
    }

    private void unreserveLocked(Connector.Task t) {
        connecting--;
        unassigned.remove(t);
    }

    private boolean startLocked(Connector.Task t) {
        try {
            connector.submit(t);
            return true;
        } catch (Throwable e) {
            // refused once the pool is closing, or no thread could be made (OutOfMemoryError)
            unreserveLocked(t);
            if (!pool.bag.closed) {
                PoolEngine.LOG.log(System.Logger.Level.WARNING, "connpool '" + pool.name
                        + "': could not start a connect; the room stays free for a later one", e);
            }
            return false;
        }
    }

    void detachLocked(Waiter w) {
        Connector.Task t = w.task;
        if (t != null) {
            w.task = null;
            t.target = null;
            unassigned.add(t);
        }
    }

    // =====================================================================================
    // connect intake
    // =====================================================================================

    /** Runs on a connector thread: opens one connection and gives it to a waiter or the bag. */
    void connect(Connector.Task task) {
        Socket socket = null;
        Throwable failure = null;
        long t0 = System.nanoTime();
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
        Bag bag = pool.bag;
        bag.lock.lock();
        try {
            connecting--;
            Waiter target = task.target;
            task.target = null;
            if (target == null) {
                unassigned.remove(task);
            } else {
                target.task = null;
            }
            if (socket != null) {
                counters.created++;
                lastFailure = null;
                if (bag.closed) {
                    counters.closedBy[CloseReason.SHUTDOWN.ordinal()]++;
                    closeIt = true;
                } else {
                    // lifetimes count from before the connect: the ceiling holds whatever the connect took
                    Slot s = new Slot(socket, t0, drawLifetime(), Slot.state(1, Slot.BORROWED));
                    registerLocked(s);
                    bag.intakeLocked(s, target);
                }
            } else {
                counters.connectFailures++;
                lastFailure = failure;
                successesAtFailure = pool.successesLocked();
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
