package dev.connpool.internal;

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

    void serve(Slot slot, long leaseSeq, boolean freshSlot) {
        this.seq = leaseSeq;
        this.fresh = freshSlot;
        this.outcome = slot;
    }
}
