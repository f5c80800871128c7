package dev.connpool;

import dev.connpool.tcp.TcpConnector;

import java.io.IOException;
import java.net.Socket;
import java.time.Duration;
import javax.net.ssl.SSLContext;

/**
 * Opens the connections of a pool. The pool calls it from its own connector threads, never while
 * holding a lock, so a slow or hanging connect never blocks callers that can be served otherwise;
 * a caller waiting for the connect gives up at its own deadline.
 *
 * <p>Most users want {@link #tcp(String, int, Duration)} or
 * {@link #tls(String, int, Duration, SSLContext)}; {@link TcpConnector#builder(String, int)} has
 * every option. A custom factory must return a connected socket or throw.
 */
@FunctionalInterface
public interface ConnectionFactory {

    /**
     * Opens one connection.
     *
     * @return a connected socket, owned by the pool from now on
     * @throws IOException if the connection cannot be opened
     */
    Socket create() throws IOException;

    /**
     * A plain TCP factory. Its sockets have {@code TCP_NODELAY} and {@code SO_KEEPALIVE} on, are
     * backed by a {@link java.nio.channels.SocketChannel} (which lets {@link HealthCheck#liveness()}
     * probe them without blocking), and their connect is bounded by {@code connectTimeout} and
     * aborted when the pool closes.
     *
     * @param host the host name or address to connect to
     * @param port the TCP port, 1..65535
     * @param connectTimeout the longest a connect may take; must be positive
     * @return the factory
     * @throws IllegalArgumentException if an argument breaks its rule
     */
    static ConnectionFactory tcp(String host, int port, Duration connectTimeout) {
        return TcpConnector.builder(host, port).connectTimeout(connectTimeout).build();
    }

    /**
     * A TLS factory: as {@link #tcp(String, int, Duration)}, then a TLS handshake (bounded by the
     * same timeout) with SNI set to {@code host} and host name verification <b>on</b>. Use
     * {@link TcpConnector#builder(String, int)} to turn verification off or set another server name.
     *
     * @param host the host name to connect to and to verify the certificate against
     * @param port the TCP port, 1..65535
     * @param connectTimeout the longest connect plus handshake may take; must be positive
     * @param sslContext where trust material (and client keys, if any) come from
     * @return the factory
     * @throws IllegalArgumentException if an argument breaks its rule
     */
    static ConnectionFactory tls(String host, int port, Duration connectTimeout, SSLContext sslContext) {
        return TcpConnector.builder(host, port).connectTimeout(connectTimeout).tls(sslContext).build();
    }
}
