package dev.connpool.tcp;

import dev.connpool.ConnectionFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * The TCP (and TLS) {@link ConnectionFactory}. Sockets are opened through a
 * {@link SocketChannel}, so that
 * <ul>
 *   <li>the connect is bounded by the connect timeout and aborted at once when the pool closes
 *       (interrupting a channel connect closes it);</li>
 *   <li>{@link dev.connpool.HealthCheck#liveness()} can probe them without blocking.</li>
 * </ul>
 * {@code TCP_NODELAY} and {@code SO_KEEPALIVE} are on by default. With TLS, the handshake runs
 * inside the same timeout, SNI names the server, and the certificate is verified against the
 * host name unless {@link Builder#verifyHostname(boolean)} turns that off.
 */
public final class TcpConnector implements ConnectionFactory {

    /** The connect timeout when none is set: 10 seconds. */
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);

    private final String host;
    private final int port;
    private final Duration connectTimeout;
    private final boolean tcpNoDelay;
    private final boolean keepAlive;
    private final SSLContext sslContext;
    private final String serverName;
    private final boolean verifyHostname;
    private final Consumer<SSLParameters> sslParameters;

    private TcpConnector(Builder b) {
        this.host = b.host;
        this.port = b.port;
        this.connectTimeout = b.connectTimeout;
        this.tcpNoDelay = b.tcpNoDelay;
        this.keepAlive = b.keepAlive;
        this.sslContext = b.sslContext;
        this.serverName = b.serverName != null ? b.serverName : b.host;
        this.verifyHostname = b.verifyHostname;
        this.sslParameters = b.sslParameters;
    }

    /**
     * Starts a factory for a host and port.
     *
     * @param host the host name or address; not blank
     * @param port 1..65535
     * @return a builder
     */
    public static Builder builder(String host, int port) {
        return new Builder(host, port);
    }

    /**
     * The host this factory connects to.
     *
     * @return the host name or address
     */
    public String host() {
        return host;
    }

    /**
     * The port this factory connects to.
     *
     * @return the port
     */
    public int port() {
        return port;
    }

    /**
     * Whether this factory speaks TLS.
     *
     * @return true if an {@link SSLContext} was set
     */
    public boolean isTls() {
        return sslContext != null;
    }

    /**
     * Opens one connection: connect, socket options and, for TLS, the handshake, all within the
     * connect timeout.
     *
     * @return the connected socket ({@link SSLSocket} for TLS)
     * @throws IOException if any step fails or the timeout passes
     */
    @Override
    public Socket create() throws IOException {
        long deadline = System.nanoTime() + connectTimeout.toNanos();
        SocketChannel channel = SocketChannel.open();
        try {
            Socket socket = channel.socket();
            socket.setTcpNoDelay(tcpNoDelay);
            socket.setKeepAlive(keepAlive);
            InetSocketAddress address = new InetSocketAddress(host, port);
            if (address.isUnresolved()) {
                throw new java.net.UnknownHostException(host);
            }
            socket.connect(address, remainingMillis(deadline, "connect timed out"));
            if (sslContext == null) {
                return socket;
            }
            return handshake(new PeekableSocket(channel), deadline);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    private Socket handshake(PeekableSocket raw, long deadline) throws IOException {
        SSLSocket ssl = (SSLSocket) sslContext.getSocketFactory().createSocket(raw, serverName, port, true);
        try {
            ssl.setUseClientMode(true);
            SSLParameters params = ssl.getSSLParameters();
            if (!isIpLiteral(serverName)) {
                params.setServerNames(List.of(new SNIHostName(serverName)));
            }
            if (verifyHostname) {
                params.setEndpointIdentificationAlgorithm("HTTPS");
            }
            if (sslParameters != null) {
                sslParameters.accept(params);
            }
            ssl.setSSLParameters(params);
            // a deadline over all reads, not a timeout per read: a server that trickles its
            // handshake out a byte at a time must not hold a connect past its timeout
            raw.readDeadline(deadline);
            ssl.startHandshake();
            raw.clearReadDeadline();
            TlsSockets.register(ssl, raw);
            return ssl;
        } catch (IOException | RuntimeException e) {
            ssl.close();
            throw e;
        }
    }

    private static boolean isIpLiteral(String name) {
        return name.indexOf(':') >= 0 || name.chars().allMatch(c -> c == '.' || Character.isDigit(c));
    }

    /**
     * The whole milliseconds left until {@code deadline} ({@code System.nanoTime()} scale), at least
     * one, for a socket timeout that must not outlast it.
     *
     * @throws SocketTimeoutException with {@code onTimeout} as its message if no time is left
     */
    static int remainingMillis(long deadline, String onTimeout) throws SocketTimeoutException {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            throw new SocketTimeoutException(onTimeout);
        }
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, left / 1_000_000));
    }

    @Override
    public String toString() {
        return (sslContext == null ? "tcp://" : "tls://") + host + ":" + port;
    }

    /** Collects the options of a {@link TcpConnector}; {@link #build()} checks them. */
    public static final class Builder {

        private final String host;
        private final int port;
        private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
        private boolean tcpNoDelay = true;
        private boolean keepAlive = true;
        private SSLContext sslContext;
        private String serverName;
        private boolean verifyHostname = true;
        private Consumer<SSLParameters> sslParameters;

        private Builder(String host, int port) {
            this.host = host;
            this.port = port;
        }

        /**
         * Bounds connect plus TLS handshake.
         *
         * @param connectTimeout positive
         * @return this builder
         */
        public Builder connectTimeout(Duration connectTimeout) {
            this.connectTimeout = connectTimeout;
            return this;
        }

        /**
         * Sets {@code TCP_NODELAY}; on by default, as request/response protocols want.
         *
         * @param on whether to disable Nagle's algorithm
         * @return this builder
         */
        public Builder tcpNoDelay(boolean on) {
            this.tcpNoDelay = on;
            return this;
        }

        /**
         * Sets {@code SO_KEEPALIVE}; on by default.
         *
         * @param on whether the OS should probe idle connections
         * @return this builder
         */
        public Builder keepAlive(boolean on) {
            this.keepAlive = on;
            return this;
        }

        /**
         * Turns TLS on.
         *
         * @param sslContext trust material (and client keys, if any); null for plain TCP
         * @return this builder
         */
        public Builder tls(SSLContext sslContext) {
            this.sslContext = sslContext;
            return this;
        }

        /**
         * The name sent as SNI and checked against the certificate; the host by default.
         *
         * @param serverName a host name
         * @return this builder
         */
        public Builder serverName(String serverName) {
            this.serverName = serverName;
            return this;
        }

        /**
         * Whether the server certificate must match the server name (on by default). Turn it off
         * only for backends addressed by a name their certificate does not carry.
         *
         * @param verify false to skip host name verification (the chain is still verified)
         * @return this builder
         */
        public Builder verifyHostname(boolean verify) {
            this.verifyHostname = verify;
            return this;
        }

        /**
         * Adjusts the TLS parameters (protocols, cipher suites) before each handshake.
         *
         * @param customizer called with the parameters this factory set up
         * @return this builder
         */
        public Builder sslParameters(Consumer<SSLParameters> customizer) {
            this.sslParameters = customizer;
            return this;
        }

        /**
         * Checks the options and builds the factory.
         *
         * @return the factory
         * @throws IllegalArgumentException naming the option that breaks its rule
         */
        public TcpConnector build() {
            if (host == null || host.isBlank()) {
                throw new IllegalArgumentException("host must not be blank (was " + host + ")");
            }
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("port must be between 1 and 65535 (was " + port + ")");
            }
            Objects.requireNonNull(connectTimeout, "connectTimeout must not be null");
            if (connectTimeout.isZero() || connectTimeout.isNegative()) {
                throw new IllegalArgumentException("connectTimeout must be positive (was " + connectTimeout + ")");
            }
            if (serverName != null && serverName.isBlank()) {
                throw new IllegalArgumentException("serverName must not be blank");
            }
            return new TcpConnector(this);
        }
    }
}
