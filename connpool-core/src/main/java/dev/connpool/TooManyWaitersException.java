package dev.connpool;

/**
 * Thrown by {@link ConnPool#get()} when the caller would have to wait but
 * {@link ConnPoolConfig#maxWaiters()} callers are waiting already. Failing fast here protects a
 * service from piling up threads behind a backend that cannot keep up.
 */
public class TooManyWaitersException extends ConnPoolException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param poolName the pool's name
     * @param maxWaiters the configured limit that was reached
     */
    public TooManyWaitersException(String poolName, int maxWaiters) {
        super("connection pool '" + poolName + "': " + maxWaiters + " callers are waiting already (maxWaiters)");
    }
}
