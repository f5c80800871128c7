package dev.connpool;

/**
 * Thrown by {@link ConnPool#get()} when the pool is closed, or closes while the caller waits.
 */
public class PoolClosedException extends ConnPoolException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception for a pool.
     *
     * @param poolName the name of the closed pool
     */
    public PoolClosedException(String poolName) {
        super("connection pool '" + poolName + "' is closed");
    }
}
