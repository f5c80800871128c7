package dev.connpool.internal;

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
 * allocates nothing, and {@code unlock()} allocates nothing either: an {@code OutOfMemoryError}
 * there would leave the lock held for good.
 *
 * <p>A wait on a condition of this lock releases it without {@code unlock()}: call
 * {@link #wakeNow()} before it, or the queued waiters sleep through the wait.
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
        Waiter w = toWake;
        if (w == null || getHoldCount() != 1) {
            super.unlock();
            return;
        }
        // The first waiter is woken after the release, the only one in the common case. Any others
        // (a connect intake, a close) are woken before it, still under the lock: that needs no
        // array to carry their threads past the release, so nothing is allocated here, and nothing
        // can fail between taking the queue apart and releasing the lock.
        Thread first = w.thread;
        toWake = null;
        try {
            for (Waiter next; w != null; w = next) {
                next = w.wakeNext;
                w.wakeNext = null;
                w.wakeQueued = false;
                if (w.thread != first) {
                    LockSupport.unpark(w.thread);
                }
            }
        } finally {
            super.unlock();
        }
        LockSupport.unpark(first);
    }
}
