package dev.connpool.internal;

import java.util.concurrent.locks.LockSupport;

/**
 * A caller blocked in {@code get}. Waiters form a FIFO queue under the pool's lock; whoever frees
 * a connection hands it to the head directly, so a waiter never competes with later arrivals.
 *
 * <p>The outcome is written once, under the lock, by whoever serves the waiter (or by the waiter
 * itself when it gives up), then read by the waiter without the lock.
 */
final class Waiter {

    /** Outcome marker: the pool closed. */
    static final Object CLOSED = new Object();
    /** Outcome marker: the waiter gave up (deadline or interrupt). */
    static final Object CANCELLED = new Object();

    /**
     * A thread waits in one get at a time, and a waiter is in no structure of any pool once that
     * get returns (it leaves the queue, and its connect forgets it, under the pool's lock), so each
     * thread reuses one waiter: waiting allocates nothing.
     */
    private static final ThreadLocal<Waiter> OF_THREAD = ThreadLocal.withInitial(Waiter::new);

    final Thread thread = Thread.currentThread();

    // guarded by the pool's lock
    Waiter prev;
    Waiter next;
    boolean queued;
    /** The connect the pool started (or assigned) on this waiter's behalf, if any. */
    Connector.Task task;

    /** A Slot, a Throwable, {@link #CLOSED} or {@link #CANCELLED}; null while waiting. */
    volatile Object outcome;
    /** The lease sequence, when the outcome is a slot. Written before {@link #outcome}. */
    long seq;
    /** Whether the slot was opened for this waiter just now (no checks needed). */
    boolean fresh;
    /**
     * Set while the waiter is (about to be) parked. It spins and yields first, so most hand-offs
     * find it awake and need no unpark, a system call that costs more than the hand-off itself.
     * The pair "write outcome, read parked" / "write parked, read outcome" is Dekker-style: one
     * side always sees the other.
     */
    volatile boolean parked;

    /** This thread's waiter, reset for a new wait. */
    static Waiter forCurrentThread() {
        Waiter w = OF_THREAD.get();
        w.prev = null;
        w.next = null;
        w.queued = false;
        w.task = null;
        w.seq = 0;
        w.fresh = false;
        w.parked = false;
        w.outcome = null;
        return w;
    }

    void serve(Slot slot, long leaseSeq, boolean freshSlot) {
        this.seq = leaseSeq;
        this.fresh = freshSlot;
        complete(slot);
    }

    /** Publishes the outcome and wakes the waiter if it sleeps. */
    void complete(Object result) {
        this.outcome = result;
        if (parked) {
            LockSupport.unpark(thread);
        }
    }
}
