package dev.connpool.internal;

import java.util.Arrays;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The pool's lock, which wakes the waiters served under it only once it is released.
 *
 * <p>Waking a thread while holding the lock it is about to take makes it run straight into the
 * lock and park again: on a machine with few cores, every hand-off then costs two or three context
 * switches instead of one, and the threads form a convoy behind the lock. So a waiter served (or
 * woken to compete for a return) under the lock is queued here, and {@link #unlock()} wakes the
 * queue after releasing the lock, as {@code ArrayBlockingQueue}'s signal moves a waiter to the
 * lock's queue and wakes it on release. The queue is intrusive (a field of {@link Waiter}), so it
 * allocates nothing.
 */
final class PoolLock extends ReentrantLock {

    private static final long serialVersionUID = 1L;

    /** Waiters to wake once the lock is released; guarded by this lock. */
    private transient Waiter toWake;

    /**
     * Wakes the waiter once the lock is released, unless it is queued already.
     * Call with the lock held.
     */
    void wakeLater(Waiter w) {
        if (!w.wakeQueued) {
            w.wakeQueued = true;
            w.wakeNext = toWake;
            toWake = w;
        }
    }

    /** Wakes the queued waiters now, with the lock still held: before waiting on a condition. */
    void wakeNow() {
        for (Waiter w = toWake; w != null; ) {
            Waiter next = w.wakeNext;
            w.wakeNext = null;
            w.wakeQueued = false;
            LockSupport.unpark(w.thread);
            w = next;
        }
        toWake = null;
    }

    @Override
    public void unlock() {
        if (toWake == null || getHoldCount() != 1) {
            super.unlock();
            return;
        }
        // take the queue apart under the lock: a waiter may be queued again as soon as it is released
        Thread first = null;
        Thread[] rest = null;
        int n = 0;
        for (Waiter w = toWake, next; w != null; w = next) {
            next = w.wakeNext;
            w.wakeNext = null;
            w.wakeQueued = false;
            if (first == null) {
                first = w.thread;
            } else {
                if (rest == null) {
                    rest = new Thread[4]; // several at a time: a connect intake, a close
                } else if (n == rest.length) {
                    rest = Arrays.copyOf(rest, n * 2);
                }
                rest[n++] = w.thread;
            }
        }
        toWake = null;
        super.unlock();
        LockSupport.unpark(first);
        for (int i = 0; i < n; i++) {
            LockSupport.unpark(rest[i]);
        }
    }
}
