package dev.connpool.internal;

import java.util.concurrent.TimeUnit;

/**
 * The connect backoff: after a failed connect, the next one waits 100 ms, doubling per further
 * failure up to {@code maxConnectBackoff}; a successful connect ends it. {@link Capacity} asks it
 * whether a connect may start, and while it is {@linkplain #active() active} lets only one connect
 * at a time through (the probe), once {@link #retryAt} has passed.
 *
 * <p>Only failures of connects started after the latest counted failure double the delay: when the
 * backend goes away, every connect already in flight fails too, and those are the same outage, not
 * further evidence; counting them would jump straight to the maximum.
 *
 * <p>Guarded by the pool's lock.
 */
final class Backoff {

    /** The first delay. */
    static final long FIRST_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    /** The longest delay; 0 turns backoff off. */
    private final long maxNanos;

    /** Failed connects in a row, as counted (see the class comment); 0 while not backing off. */
    private int failures;
    /** When the latest counted failure happened ({@code System.nanoTime()}). */
    private long failedAt;
    /** When the next connect may start; meaningful while {@link #active()}. */
    long retryAt;
    /** What the latest failed connect threw; kept while backing off, for callers refused meanwhile. */
    Throwable lastFailure;

    /** The outcome of a waiter refused while backing off: the latest failure, and when the probe dials. */
    static final class Refusal {

        final Throwable cause;
        final long retryAt;

        Refusal(Throwable cause, long retryAt) {
            this.cause = cause;
            this.retryAt = retryAt;
        }
    }

    Backoff(long maxNanos) {
        this.maxNanos = maxNanos;
    }

    /** Whether connects are held back: a connect failed and none has succeeded since. */
    boolean active() {
        return failures > 0;
    }

    /**
     * Takes a failed connect into account.
     *
     * @param startedAt when the connect started
     * @param cause what it threw
     * @param now the time of the failure
     */
    void failed(long startedAt, Throwable cause, long now) {
        if (maxNanos <= 0) {
            return;
        }
        lastFailure = cause;
        if (failures > 0 && startedAt - failedAt < 0) {
            return; // in flight when the latest failure was counted: the same outage
        }
        failures++;
        failedAt = now;
        retryAt = now + delayNanos(failures, maxNanos);
    }

    /**
     * A connect succeeded: connects may start freely again.
     *
     * @return whether the pool was backing off until now
     */
    boolean succeeded() {
        boolean was = failures > 0;
        failures = 0;
        lastFailure = null;
        return was;
    }

    /** The delay after the given number of failures in a row: 100 ms doubling, capped at the max. */
    static long delayNanos(int failures, long maxNanos) {
        int doublings = Math.min(failures - 1, 30);
        long delay = FIRST_NANOS << doublings;
        return Math.min(delay, maxNanos);
    }
}
