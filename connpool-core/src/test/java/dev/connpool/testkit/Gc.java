package dev.connpool.testkit;

import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;

/** Reachability checks: is an object collected once a test dropped every reference to it. */
public final class Gc {

    /** Keeps the garbage from being optimized away. */
    private static volatile Object sink;

    private Gc() {
    }

    /**
     * Runs the garbage collector until every reference is cleared.
     *
     * @throws AssertionError naming {@code what} if some are still set at the deadline
     */
    public static void awaitCollected(List<? extends WeakReference<?>> refs, Duration timeout, Supplier<String> what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (refs.stream().anyMatch(r -> r.get() != null)) {
            if (System.nanoTime() - deadline > 0) {
                long left = refs.stream().filter(r -> r.get() != null).count();
                throw new AssertionError(left + " of " + refs.size() + " still reachable after "
                        + timeout.toMillis() + " ms of garbage collection: " + what.get());
            }
            System.gc();
            // some garbage to push weak references along on collectors that skip explicit gc() requests
            byte[][] garbage = new byte[64][];
            for (int i = 0; i < garbage.length; i++) {
                garbage[i] = new byte[64 * 1024];
            }
            sink = garbage;
            try {
                Thread.sleep(20); // gives reference processing time; a poll interval, not a synchronization
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting for garbage collection", e);
            }
        }
    }
}
