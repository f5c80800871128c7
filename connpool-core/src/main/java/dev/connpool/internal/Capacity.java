package dev.connpool.internal;

import dev.connpool.CloseReason;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.concurrent.locks.Condition;

/**
 * Room and growth: which connections are open, how many are being opened, and when to open more.
 * Connects run on the {@link Connector}'s threads; this class decides to start them (for waiters,
 * the {@code increment} extras, the refill to {@code minSize}); {@link Intake} takes their results in.
 *
 * <h2>Connect backoff</h2>
 * While the {@link Backoff} is active (a connect failed, none succeeded since), no connect starts
 * but one, the <em>probe</em>: it reserves its room now, waits on its connector thread until the
 * backoff's retry time, then dials; its success ends the backoff (the pool then connects for every
 * waiter and refills), its failure doubles the delay. A probe is started only when something needs
 * a connect: a waiter with room to connect, or the refill to {@code minSize}. A waiter that needs a
 * connect meanwhile waits for a return if anything could come back to it (a connection open or a
 * connect dialing), and is refused at once, with the latest failure, if nothing could.
 *
 * <h2>Suspension, resizing, soft eviction</h2>
 * While the pool is suspended no connect starts, the probe's included. A resize changes the sizes
 * under the lock; connections beyond a smaller {@code maxSize} are closed when idle or returned
 * ({@link #overSize}). A return racing the resize itself (its lock-free put-back lands between the
 * scan of the idle stack and the publication of {@code overSize}) may be lent once more before
 * its next return closes it: the excess is transient, as for lent connections, and the room
 * accounting stays exact (seen by the review of issue 12 about once in 2,000 racing rounds). A soft eviction starts a new
 * {@link #generation}: a connect started before it brings a connection that is closed at once.
 *
 * <h2>Invariants (under the pool's lock)</h2>
 * <ul>
 *   <li>{@code open + connecting <= maxSize}, except after a resize to a smaller {@code maxSize},
 *       until the excess is closed: room is reserved before a connect starts and freed when it
 *       fails, or when the connection's socket has been closed ({@link #retireLocked}), so a
 *       replacement is never opened while the old socket is still open.</li>
 *   <li>A slot is in {@code all} iff it is not retired; {@code dying} of them are being closed.</li>
 *   <li>A connect has a target waiter, or is in {@code unassigned}, where a newly queued waiter may
 *       adopt it, or is the {@link #probe}; never two of these.</li>
 *   <li>While the backoff is active, no connect starts but the probe.</li>
 * </ul>
 */
final class Capacity {

    private final PoolEngine pool;
    private final Counters counters;
    final Connector connector;

    // ---- guarded by the pool's lock ----
    /** The sizes, changed by {@link #resizeLocked}. */
    int minSize;
    int maxSize;
    private int increment;
    /** Open slots in no particular order; the first {@code open} entries are used. Grows, never shrinks. */
    Slot[] all;
    int open;
    /** Slots removed whose sockets are being closed: still in {@code open}, so their room stays taken. */
    int dying;
    int connecting;
    /** Connects started for no waiter in particular, which a newly queued waiter may adopt. */
    final ArrayDeque<Connector.Task> unassigned = new ArrayDeque<>();
    /** Signalled when the pool is closed and its last connection went away. */
    final Condition drained;
    /** Whether connects may start, and when, after failures. */
    final Backoff backoff;
    /** The one connect allowed while backing off, waiting for its time or dialing; null if none. */
    Connector.Task probe;
    /** Soft evictions so far; a connect started before the latest one brings a retired connection. */
    int generation;

    /**
     * More connections are open than {@code maxSize} allows, since a resize made it smaller: a
     * returned connection is closed rather than put back. Written under the lock; read after the
     * put-back's CAS, while the resize reads slot states after writing it.
     */
    volatile boolean overSize;


    Capacity(PoolEngine pool, Counters counters, int minSize, int maxSize, int increment, long maxBackoffNanos) {
        this.pool = pool;
        this.counters = counters;
        this.minSize = minSize;
        this.maxSize = maxSize;
        this.increment = increment;
        this.all = new Slot[maxSize];
        this.drained = pool.bag.lock.newCondition();
        this.connector = new Connector(pool.name);
        this.backoff = new Backoff(maxBackoffNanos);
    }

    void registerLocked(Slot s) {
        all[open++] = s;
    }

    /** Connections open and not being closed. */
    int liveLocked() {
        return open - dying;
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

    /**
     * Frees the room of a removed slot whose socket is closed, and lets waiters use it. A slot that
     * a soft eviction retired is replaced, up to {@code minSize}.
     */
    void retireLocked(Slot s, CloseReason reason) {
        dying--;
        unregisterLocked(s, reason);
        if (overSize && liveLocked() <= maxSize) {
            overSize = false;
        }
        if (!pool.bag.closed) {
            if (s.retiring) {
                refillLocked();
            }
            pool.bag.serveWaitersLocked();
        }
    }

    /**
     * Whether a connection returned or put back now must be closed rather than kept: the pool is
     * larger than {@code maxSize} since a resize. Clears {@link #overSize} once it is not.
     */
    boolean tooManyLocked() {
        if (liveLocked() > maxSize) {
            return true;
        }
        overSize = false;
        return false;
    }

    /**
     * Whether a newly queued waiter would be answered without waiting for a connection to come back:
     * with a connect of its own, or, while backing off with nothing that could come back, with a
     * refusal.
     */
    boolean answersWithoutReturnLocked() {
        if (pool.bag.suspended) {
            return false;
        }
        if (!unassigned.isEmpty()) {
            return true;
        }
        if (backoff.active()) {
            return nothingCanComeLocked();
        }
        return open + connecting < maxSize;
    }

    /**
     * Gives each waiter that has no connect one, adopting background connects first, then starting
     * new ones while there is room, topped up to {@code increment} when the pool grows. While
     * suspended, nothing; while backing off, see {@link #backOffLocked}.
     */
    void connectForWaitersLocked(Waiter head) {
        if (pool.bag.suspended) {
            return;
        }
        int started = 0;
        for (Waiter w = head; w != null; w = w.next) {
            if (w.task != null) {
                continue;
            }
            Connector.Task t = unassigned.poll();
            if (t == null) {
                if (backoff.active()) {
                    backOffLocked(w);
                    return;
                }
                if (open + connecting >= maxSize) {
                    break;
                }
                t = newTaskLocked(null, false);
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

    /**
     * Waiters from {@code first} on need connects while the pool backs off: the probe will try at the
     * backoff's end. If nothing could come back to them meanwhile, those without a connect are
     * refused now, with the latest failure (DESIGN §4: fail early when the answer is certain). Once
     * the delay is over the answer is no longer certain (the backend may be back, and the probe
     * dials now): they wait for the probe instead (see {@link #nothingCanComeLocked()}).
     */
    private void backOffLocked(Waiter first) {
        probeLocked();
        if (!nothingCanComeLocked()) {
            return;
        }
        Backoff.Refusal refusal = null;
        Waiter next;
        for (Waiter w = first; w != null; w = next) {
            next = w.next;
            if (w.task == null) {
                if (refusal == null) {
                    refusal = new Backoff.Refusal(backoff.lastFailure, backoff.retryAt);
                }
                pool.bag.dequeueLocked(w);
                w.complete(refusal);
            }
        }
    }

    /**
     * No connection is live and no connect dials or is about to: nothing could reach a waiter. A
     * probe whose time has come counts as dialing (it does so as soon as its thread runs). So does
     * one held out of a full pool by a connection being closed, once its time has come: freeing that
     * room serves the queue again (see {@link #retireLocked}), which starts it; callers wait that long
     * (as long as the close takes), also with {@code maxWaiters} reached (they are then refused for
     * that, as while a probe dials). A connection being closed counts for nothing else: with a probe
     * under way, or before the probe's time, freeing its room brings nothing sooner than the refusal.
     */
    private boolean nothingCanComeLocked() {
        boolean delayOver = System.nanoTime() - backoff.retryAt >= 0;
        boolean probeWaits = probe != null && !probe.dialing && !delayOver;
        boolean probeHeldOut = probe == null && delayOver && dying > 0 && open + connecting >= maxSize;
        return liveLocked() == 0 && !probeHeldOut && connecting == (probeWaits ? 1 : 0);
    }

    /** Starts the probe, unless there is one, or no room, or the pool is suspended or closed. */
    private void probeLocked() {
        if (probe != null || pool.bag.suspended || pool.bag.closed || open + connecting >= maxSize) {
            return;
        }
        Connector.Task t = newTaskLocked(null, true);
        connecting++;
        probe = t;
        if (!startLocked(t)) {
            probe = null;
        }
    }

    /** Starts background connects until open plus connecting reach minSize; while backing off, the probe. */
    void refillLocked() {
        if (pool.bag.suspended || minSize - open - connecting <= 0) {
            return;
        }
        if (backoff.active()) {
            probeLocked();
            return;
        }
        startBackgroundLocked(minSize - open - connecting);
    }

    private void startBackgroundLocked(int n) {
        for (int i = 0; i < n; i++) {
            Connector.Task t = newTaskLocked(null, false);
            connecting++;
            unassigned.add(t);
            if (!startLocked(t)) {
                return;
            }
        }
    }

    private Connector.Task newTaskLocked(java.util.function.Consumer<Throwable> onDone, boolean isProbe) {
        return new Connector.Task(pool, onDone, System.nanoTime(), generation, isProbe);
    }

    /** Reserves room for a connect started by {@code start()}. */
    Connector.Task reserveLocked(java.util.function.Consumer<Throwable> onDone) {
        Connector.Task t = newTaskLocked(onDone, false);
        connecting++;
        unassigned.add(t);
        return t;
    }

    /**
     * Changes the sizes. Room grows at once; of the connections beyond a smaller {@code maxSize},
     * the longest idle are taken out now (marked removed and counted dying, for the caller to close)
     * and the rest are closed when they come back.
     *
     * @return the idle connections to close
     */
    Slot[] resizeLocked(int newMin, int newMax, int newIncrement) {
        minSize = newMin;
        maxSize = newMax;
        increment = newIncrement;
        if (all.length < newMax) {
            all = Arrays.copyOf(all, newMax);
            pool.bag.stack.ensureCapacity(newMax);
        }
        int excess = liveLocked() - newMax;
        Slot[] idle = excess > 0 ? pool.bag.stack.removeAvailable(excess) : new Slot[0];
        dying += idle.length;
        overSize = liveLocked() > newMax;
        refillLocked();
        pool.bag.serveWaitersLocked();
        return idle;
    }

    /**
     * Retires every connection: a new generation (connects in flight bring retired connections),
     * idle ones taken out now (marked removed and counted dying, for the caller to close), lent ones
     * marked {@link Slot#retiring}. The put-back reads the mark after its CAS and this reads the state
     * after writing the mark, so a connection coming back meanwhile is seen by one of the two.
     *
     * @return the idle connections to close
     */
    Slot[] retireAllLocked() {
        generation++;
        for (int i = 0; i < open; i++) {
            all[i].retiring = true;
        }
        return takeIdleLocked();
    }

    /**
     * Takes every idle connection out (marked removed and counted dying, for the caller to close).
     *
     * @return the idle connections to close
     */
    Slot[] takeIdleLocked() {
        Slot[] idle = pool.bag.stack.removeAllAvailable();
        dying += idle.length;
        return idle;
    }

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
}
