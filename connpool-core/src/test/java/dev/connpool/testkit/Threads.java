package dev.connpool.testkit;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Thread helpers for test servers and tests. */
public final class Threads {

    private Threads() {
    }

    /**
     * Joins a thread within a deadline, even if the calling thread is interrupted (as JUnit does
     * to a test that ran out of time, just before its servers are closed); the interrupt is kept.
     *
     * @throws IllegalStateException if the thread is still alive at the deadline
     */
    public static void join(Thread t, Duration timeout) {
        if (!joinedWithin(t, timeout)) {
            throw new IllegalStateException("thread did not end within " + timeout.toMillis() + " ms: " + t);
        }
    }

    /**
     * Waits up to the timeout for a thread to end, as {@link #join(Thread, Duration)} does.
     *
     * @return whether it ended within the timeout
     */
    public static boolean joinedWithin(Thread t, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        boolean interrupted = false;
        while (t.isAlive()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                break;
            }
            try {
                t.join(Math.max(1, left / 1_000_000));
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        return !t.isAlive();
    }

    /**
     * Runs a call on a daemon thread of its own and waits for it within a bound, for calls that
     * hang when the code under test is broken: the test fails instead of hanging (the thread is left
     * behind then, as a daemon).
     *
     * @throws AssertionError naming {@code what} if the call has not returned within the bound
     * @throws Exception what the call threw
     */
    public static <T> T callWithin(Callable<T> call, Duration bound, String what) throws Exception {
        CompletableFuture<T> f = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                f.complete(call.call());
            } catch (Throwable e) {
                f.completeExceptionally(e);
            }
        }, "bounded-call");
        t.setDaemon(true);
        t.start();
        try {
            return f.get(bound.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError(what + " (not within " + bound.toMillis() + " ms)");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof Exception) {
                throw (Exception) cause;
            }
            throw (Error) cause;
        }
    }
}
