package dev.connpool.testkit;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;

/**
 * The engine's barging bound, for tests of a waiter past it: a waiter that has waited longer than
 * the bound parks until something serves it, and returns are handed to the waiters in order.
 */
public final class Barging {

    /** The barging bound (the engine's {@code Bag.BARGE_NANOS}), on {@code System.nanoTime()}, as it reads it. */
    public static final long BOUND_NANOS = Long.getLong("dev.connpool.bargeMicros", 2500L) * 1000L;

    private static final Duration WAIT = Duration.ofSeconds(5);

    private Barging() {
    }

    /**
     * Waits until a thread that queued in {@code get()} before this call is past the barging bound:
     * parked in {@code get()} in a park it began once the bound had passed since this call. A waiter
     * that parks past the bound has switched the pool to hand-off first.
     */
    public static void awaitPastTheBound(Thread t) {
        awaitParkedInGetAfter(t, System.nanoTime() + BOUND_NANOS);
    }

    /**
     * Waits until the thread is parked in get() in a park it began after {@code nanoTime}. It may
     * be in such a park already, so it is woken once (as a spurious wake-up may, which the engine
     * must take in its stride) and the next park is awaited: a park raises the thread's waited
     * count, and a count above the one read before the wake-up is a park begun after it.
     */
    public static void awaitParkedInGetAfter(Thread t, long nanoTime) {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        Await.until(() -> System.nanoTime() - nanoTime > 0, WAIT, "past the bound");
        long before = threads.getThreadInfo(t.getId()).getWaitedCount();
        LockSupport.unpark(t);
        Await.until(() -> {
            ThreadInfo i = threads.getThreadInfo(t.getId());
            return i.getWaitedCount() > before && i.getThreadState() == Thread.State.TIMED_WAITING
                    && i.getLockName() != null && i.getLockName().startsWith("dev.connpool.internal.Acquirer@");
        }, WAIT, () -> t.getName() + " parked in get() again: " + threads.getThreadInfo(t.getId()));
    }
}
