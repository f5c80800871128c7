package dev.connpool.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.connpool.testkit.Await;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The pool's lock wakes what was queued under it, once, on the outermost release, allocating nothing. */
@Timeout(60)
class PoolLockTest {

    /**
     * An unlock that throws before releasing leaves the pool locked for good, and an allocation can
     * throw (OutOfMemoryError): so unlock() allocates nothing, however many waiters it wakes.
     */
    @Test
    void unlockAllocatesNothingWhateverItWakes() {
        assumeTrue(ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean);
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        PoolLock lock = new PoolLock();
        for (int waiters : new int[] {1, 2, 6}) {
            Waiter[] ws = new Waiter[waiters];
            for (int i = 0; i < waiters; i++) {
                ws[i] = new Waiter(0, lock); // this thread: an unpark only sets its permit
            }
            long least = Long.MAX_VALUE;
            for (int round = 0; round < 10; round++) {
                long before = threads.getThreadAllocatedBytes(Thread.currentThread().getId());
                for (int n = 0; n < 10_000; n++) {
                    lock.lock();
                    try {
                        for (Waiter w : ws) {
                            lock.wakeLater(w);
                        }
                    } finally {
                        lock.unlock();
                    }
                }
                least = Math.min(least, threads.getThreadAllocatedBytes(Thread.currentThread().getId()) - before);
            }
            assertThat(least).as("bytes allocated by 10,000 unlocks waking %d waiters", waiters).isZero();
        }
        LockSupport.parkNanos(1); // use up the permit left by the last wake-up
    }

    @Test
    void everyQueuedWaiterIsWokenOnceTheOutermostHoldIsReleased() throws InterruptedException {
        PoolLock lock = new PoolLock();
        int n = 3;
        List<Waiter> waiters = new ArrayList<>();
        CountDownLatch made = new CountDownLatch(n);
        CountDownLatch woke = new CountDownLatch(n);
        AtomicBoolean go = new AtomicBoolean();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Thread t = new Thread(() -> {
                synchronized (waiters) {
                    waiters.add(new Waiter(0, lock));
                }
                made.countDown();
                while (!go.get()) {
                    LockSupport.park(this); // spurious returns loop; only the wake-up sets go first
                }
                woke.countDown();
            }, "pool-lock-waiter-" + i);
            t.start();
            threads.add(t);
        }
        assertThat(made.await(10, TimeUnit.SECONDS)).isTrue();
        lock.lock();
        lock.lock(); // reentrant: the inner release wakes nobody
        synchronized (waiters) {
            for (Waiter w : waiters) {
                lock.wakeLater(w);
                lock.wakeLater(w); // queued once however often it is asked for
            }
        }
        go.set(true);
        lock.unlock();
        assertThat(lock.isHeldByCurrentThread()).isTrue();
        lock.unlock();
        assertThat(lock.isLocked()).isFalse();
        assertThat(woke.await(10, TimeUnit.SECONDS)).as("every queued waiter woke").isTrue();
        for (Thread t : threads) {
            t.join(10_000);
            assertThat(t.isAlive()).isFalse();
        }
        // the queue is empty again: a later release wakes no one and needs no waiter
        lock.lock();
        lock.unlock();
        Await.until(() -> !lock.isLocked(), Duration.ofSeconds(1), "the lock is free");
    }

    /**
     * close() waits on a condition of the lock, which releases it without unlock(): wakeNow() wakes
     * what was queued before that, with the lock still held, or the waiters sleep through the wait.
     */
    @Test
    void wakeNowWakesTheQueuedWaitersWhileTheLockIsStillHeld() throws InterruptedException {
        PoolLock lock = new PoolLock();
        CountDownLatch made = new CountDownLatch(1);
        CountDownLatch woke = new CountDownLatch(1);
        AtomicBoolean go = new AtomicBoolean();
        Waiter[] waiter = new Waiter[1];
        Thread t = new Thread(() -> {
            waiter[0] = new Waiter(0, lock);
            made.countDown();
            while (!go.get()) {
                LockSupport.park(this); // parked before go is set: only the wake-up (or a spurious return) ends it
            }
            woke.countDown();
        }, "pool-lock-wake-now");
        t.start();
        try {
            assertThat(made.await(10, TimeUnit.SECONDS)).isTrue();
            Await.until(() -> t.getState() == Thread.State.WAITING, Duration.ofSeconds(10), "the waiter parked");
            lock.lock();
            try {
                lock.wakeLater(waiter[0]);
                go.set(true);
                lock.wakeNow();
                assertThat(woke.await(10, TimeUnit.SECONDS)).as("woken with the lock held").isTrue();
                assertThat(lock.isHeldByCurrentThread()).isTrue();
            } finally {
                lock.unlock();
            }
        } finally {
            go.set(true);
            LockSupport.unpark(t);
            t.join(10_000);
        }
        assertThat(t.isAlive()).isFalse();
    }
}
