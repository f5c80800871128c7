package dev.connpool;

import java.io.IOException;

/**
 * Thrown by a {@link HealthCheck} from {@link HealthCheck#check(java.net.Socket, long)} when the
 * caller's deadline left no time to run it. The check did not touch the connection, so the pool
 * keeps it (it is not counted as a failed check) and the caller's {@code get} times out at its
 * deadline, as it would have anyway, or fails with {@link PoolClosedException} if the pool closes
 * first.
 */
public class HealthCheckSkippedException extends IOException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message why the check did not run
     */
    public HealthCheckSkippedException(String message) {
        super(message);
    }
}
