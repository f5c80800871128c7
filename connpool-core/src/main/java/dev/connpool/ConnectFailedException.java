package dev.connpool;

import java.time.Duration;

/**
 * Thrown by {@link ConnPool#get()} when the pool had to open a connection for the caller and the
 * {@link ConnectionFactory} failed, or when the caller needed a new connection while the pool backs
 * off after failed connects ({@link ConnPoolConfig#maxConnectBackoff()}) and no connection in use
 * could come back to it. The factory's exception (the latest one, in the second case) is the
 * {@linkplain #getCause() cause}.
 */
public class ConnectFailedException extends ConnPoolException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param poolName the pool's name
     * @param cause what the connection factory threw
     */
    public ConnectFailedException(String poolName, Throwable cause) {
        super("connection pool '" + poolName + "': could not open a connection: " + cause, cause);
    }

    /**
     * Creates the exception for a caller refused while the pool backs off after failed connects.
     *
     * @param poolName the pool's name
     * @param cause what the connection factory threw the latest time
     * @param retryIn how long until the pool tries to connect again (zero if it is trying now)
     */
    public ConnectFailedException(String poolName, Throwable cause, Duration retryIn) {
        super("connection pool '" + poolName + "': could not open a connection: " + cause + " (connect backoff:"
                + " the next attempt in " + retryIn.toMillis() + " ms, and no connection in use could come back)",
                cause);
    }
}
