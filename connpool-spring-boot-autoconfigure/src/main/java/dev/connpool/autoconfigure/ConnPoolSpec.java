package dev.connpool.autoconfigure;

import dev.connpool.ConnPoolConfig;
import dev.connpool.ConnectionFactory;
import dev.connpool.HealthCheck;
import dev.connpool.tcp.TcpConnector;
import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What a pool declared under {@code connpool.pools} is made of, handed to each
 * {@link ConnPoolCustomizer} before the pool is created. It starts out as the properties say; each
 * part can be changed in place:
 * <ul>
 *   <li>{@link #config()}: sizes, timeouts, health check (the core builder; its rules are checked
 *       once every customizer has run);</li>
 *   <li>{@link #connector()}: the TCP/TLS connector to {@code host:port} (socket options, TLS
 *       parameters, server name);</li>
 *   <li>{@link #connectionFactory(ConnectionFactory)}: replaces the connector altogether.</li>
 * </ul>
 * Not thread-safe; only valid while the customizers run.
 */
public final class ConnPoolSpec {

    private final String name;
    private final String host;
    private final int port;
    private final ConnPoolConfig.Builder config;
    private final TcpConnector.Builder connector;
    private @Nullable ConnectionFactory connectionFactory;
    private Duration shutdownGrace;

    ConnPoolSpec(String name, String host, int port, ConnPoolConfig.Builder config, TcpConnector.Builder connector,
            Duration shutdownGrace) {
        this.name = name;
        this.host = host;
        this.port = port;
        this.config = config;
        this.connector = connector;
        this.shutdownGrace = shutdownGrace;
    }

    /**
     * The pool's name, also its bean name.
     *
     * @return the name
     */
    public String name() {
        return name;
    }

    /**
     * The backend's host, as configured.
     *
     * @return the host name or address
     */
    public String host() {
        return host;
    }

    /**
     * The backend's port, as configured.
     *
     * @return the port
     */
    public int port() {
        return port;
    }

    /**
     * The pool's configuration, filled in from the properties; change it in place.
     *
     * @return the builder the pool's configuration is built from
     */
    public ConnPoolConfig.Builder config() {
        return config;
    }

    /**
     * Sets the health check, replacing the one of {@code health-check.*}.
     *
     * @param healthCheck the check; not null
     * @return this spec
     */
    public ConnPoolSpec healthCheck(HealthCheck healthCheck) {
        config.healthCheck(Objects.requireNonNull(healthCheck, "healthCheck must not be null"));
        return this;
    }

    /**
     * The connector to {@code host:port}, filled in from the properties (connect timeout and, with
     * {@code ssl.bundle}, TLS with the bundle's protocols and ciphers); change it in place. Ignored
     * once {@link #connectionFactory(ConnectionFactory)} has been set. With {@code ssl.bundle}, an
     * update of the bundle builds it again, with the bundle's new SSL context and options and
     * everything else as the customizers left it, and soft-evicts the pool.
     *
     * @return the builder the connection factory is built from
     */
    public TcpConnector.Builder connector() {
        return connector;
    }

    /**
     * Replaces the connector with a factory of your own, for connections that are not plain TCP or
     * TLS to {@code host:port}.
     *
     * @param connectionFactory the factory; not null
     * @return this spec
     */
    public ConnPoolSpec connectionFactory(ConnectionFactory connectionFactory) {
        this.connectionFactory = Objects.requireNonNull(connectionFactory, "connectionFactory must not be null");
        return this;
    }

    /**
     * The factory set by {@link #connectionFactory(ConnectionFactory)}.
     *
     * @return the factory, or null if the connector is used
     */
    public @Nullable ConnectionFactory connectionFactory() {
        return connectionFactory;
    }

    /**
     * How long closing the context waits for connections in use.
     *
     * @return the grace period of {@code shutdown-grace}, unless changed
     */
    public Duration shutdownGrace() {
        return shutdownGrace;
    }

    /**
     * Sets how long closing the context waits for connections in use.
     *
     * @param shutdownGrace zero or positive
     * @return this spec
     */
    public ConnPoolSpec shutdownGrace(Duration shutdownGrace) {
        Objects.requireNonNull(shutdownGrace, "shutdownGrace must not be null");
        if (shutdownGrace.isNegative()) {
            throw new IllegalArgumentException("shutdownGrace must not be negative (was " + shutdownGrace + ")");
        }
        this.shutdownGrace = shutdownGrace;
        return this;
    }
}
