package dev.connpool;

import java.time.Duration;

/**
 * Thrown by {@link ConnPool#get(Duration)} when no connection could be had before the deadline.
 * The message names the pool, the timeout and the pool's statistics at the moment of the failure,
 * which is usually enough to tell an undersized pool from a slow or unreachable backend.
 */
public class AcquireTimeoutException extends ConnPoolException {

    private static final long serialVersionUID = 1L;

    /** The pool's statistics when the caller gave up. */
    private final transient PoolStats stats;

    /**
     * Creates the exception.
     *
     * @param poolName the pool's name
     * @param timeout how long the caller was willing to wait
     * @param stats the pool's statistics when the caller gave up
     * @param cause the last connect failure seen while waiting, or {@code null}
     */
    public AcquireTimeoutException(String poolName, Duration timeout, PoolStats stats, Throwable cause) {
        super("connection pool '" + poolName + "': no connection available within " + timeout.toMillis()
                + " ms (" + stats + ")", cause);
        this.stats = stats;
    }

    /**
     * The pool's statistics when the caller gave up.
     *
     * @return a snapshot, or {@code null} after deserialization
     */
    public PoolStats stats() {
        return stats;
    }
}
