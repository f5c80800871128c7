package dev.connpool.internal;

import java.util.concurrent.locks.LockSupport;

/**
 * A caller blocked in {@code get}. Waiters form a FIFO queue under the pool's lock (see {@link Bag}
 * for who serves them and when a running thread may take a connection first).
 *
 * <p>The outcome is written once, under the lock, by whoever serves the waiter (or by the waiter
 * itself when it gives up), then read by the waiter without the lock.
 *
 * <p>A waiter is made per wait, not kept per thread: a thread-local would keep the last outcome
 * (a slot, and so a socket) reachable after its pool is gone, and a static thread-local holding a
 * library object pins the library's class loader in every thread that ever waited. One small
 * object per wait costs nothing next to the wait itself.
 */
final class Waiter {

    /** Outcome marker: the pool closed. */
    static final Object CLOSED = new Object();
    /** Outcome marker: the waiter gave up (deadline or interrupt). */
    static final Object CANCELLED = new Object();

    final Thread thread = Thread.currentThread();
    /** When it started waiting ({@code System.nanoTime()}), for the barging bound. */
    final long since;

    // guarded by the pool's lock
    Waiter prev;
    Waiter next;
    boolean queued;
    /** The connect the pool started (or assigned) on this waiter's behalf, if any. */
    Connector.Task task;

    /**
     * A Slot, a Throwable (its connect failed), a {@link Backoff.Refusal}, {@link #CLOSED} or
     * {@link #CANCELLED}; null while waiting.
     */
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
    /**
     * Set (under the lock) when a return was left for barging and this waiter was woken to compete
     * for it; cleared by the waiter once it ran. One wake-up outstanding at a time is enough.
     */
    volatile boolean woken;

    Waiter(long since) {
        this.since = since;
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
