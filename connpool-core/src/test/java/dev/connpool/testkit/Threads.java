package dev.connpool.testkit;

import java.time.Duration;

/** Thread helpers for test servers. */
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
        if (t.isAlive()) {
            throw new IllegalStateException("thread did not end within " + timeout.toMillis() + " ms: " + t);
        }
    }
}
