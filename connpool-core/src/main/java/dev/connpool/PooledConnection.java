package dev.connpool;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;

/**
 * A connection lent by a {@link ConnPool}: one lease of one socket. Use it in a
 * try-with-resources block; {@link #close()} gives the socket back to the pool.
 *
 * <pre>{@code
 * try (PooledConnection conn = pool.get()) {
 *     conn.getOutputStream().write(request);
 *     ...
 * } catch (IOException e) {
 *     // the pool closes a connection marked unusable instead of lending it again
 * }
 * }</pre>
 *
 * <p>If a read or write fails, or the protocol is left in an unknown state, call
 * {@link #markUnusable()} before closing so that the socket is destroyed rather than lent again.
 *
 * <p>A lease is meant for one thread at a time. Once closed it is dead: {@link #close()} again
 * does nothing, and {@link #socket()} throws {@link IllegalStateException}, whatever has happened
 * to the socket since.
 */
public interface PooledConnection extends AutoCloseable {

    /**
     * The leased socket. Do not close it yourself: close the lease (or mark it unusable).
     *
     * @return the connected socket
     * @throws IllegalStateException if this lease was closed already
     */
    Socket socket();

    /**
     * The socket's input stream, as {@link Socket#getInputStream()}.
     *
     * @return the stream
     * @throws IOException if the socket cannot give one (closed, shut down)
     * @throws IllegalStateException if this lease was closed already
     */
    InputStream getInputStream() throws IOException;

    /**
     * The socket's output stream, as {@link Socket#getOutputStream()}.
     *
     * @return the stream
     * @throws IOException if the socket cannot give one (closed, shut down)
     * @throws IllegalStateException if this lease was closed already
     */
    OutputStream getOutputStream() throws IOException;

    /**
     * Marks the connection as broken: when this lease is closed the socket is closed and its room
     * in the pool freed, instead of being lent again. Does nothing once the lease is closed.
     */
    void markUnusable();

    /**
     * Returns the connection to the pool (or destroys it if it was marked unusable, has outlived
     * its lifetime, or the pool is closed). Closing a lease twice does nothing the second time.
     */
    @Override
    void close();
}
