package dev.connpool;

/**
 * Thrown by {@link ConnPool#get()} when the pool had to open a connection for the caller and the
 * {@link ConnectionFactory} failed. The factory's exception is the {@linkplain #getCause() cause}.
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
}
