package dev.connpool.sample;

import dev.connpool.ConnPool;
import dev.connpool.ConnPoolException;
import dev.connpool.PooledConnection;
import java.io.IOException;

/**
 * One request/reply exchange over a connection borrowed from a pool, the way every example does
 * it: a connection that cannot be had is a 503, and a connection whose exchange failed is marked
 * unusable (it may be out of step) and reported as 502 or 504; see {@link BackendException}.
 *
 * @param <T> the reply
 */
@FunctionalInterface
public interface PooledExchange<T> {

    /**
     * Sends the request and reads the reply.
     *
     * @param connection the borrowed connection, given back afterwards
     * @return the reply
     * @throws IOException if the exchange failed
     */
    T exchange(PooledConnection connection) throws IOException;

    /**
     * Borrows a connection from {@code pool}, runs {@code exchange} on it and gives it back.
     *
     * @param pool the pool to borrow from
     * @param exchange what to do with the connection
     * @param <T> the reply
     * @return the reply
     * @throws BackendException 503 if no connection could be had, 502 or 504 if the exchange failed
     */
    static <T> T over(ConnPool pool, PooledExchange<T> exchange) {
        PooledConnection conn;
        try {
            conn = pool.get();
        } catch (ConnPoolException e) {
            throw BackendException.unavailable(pool.name(), e);
        } catch (IOException e) {
            // get() throws ConnPoolException subclasses only; an InterruptedIOException is one of them too
            throw BackendException.unavailable(pool.name(), new ConnPoolException(e.toString(), e));
        }
        try (conn) {
            try {
                return exchange.exchange(conn);
            } catch (IOException e) {
                conn.markUnusable();
                throw BackendException.exchangeFailed(pool.name(), e);
            }
        }
    }
}
