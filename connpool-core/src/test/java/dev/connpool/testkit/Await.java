package dev.connpool.testkit;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Poll-until-deadline, for conditions that have no latch to wait on. */
public final class Await {

    private Await() {
    }

    /**
     * Polls a condition every millisecond until it holds.
     *
     * @throws AssertionError with the message if the timeout passes first
     */
    public static void until(BooleanSupplier condition, Duration timeout, Supplier<String> message) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("not within " + timeout.toMillis() + " ms: " + message.get());
            }
            LockSupport.parkNanos(1_000_000);
        }
    }

    /** As {@link #until(BooleanSupplier, Duration, Supplier)}, with a fixed message. */
    public static void until(BooleanSupplier condition, Duration timeout, String message) {
        until(condition, timeout, () -> message);
    }
}
