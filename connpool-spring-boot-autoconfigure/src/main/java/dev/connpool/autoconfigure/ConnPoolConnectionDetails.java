package dev.connpool.autoconfigure;

import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.autoconfigure.service.connection.ConnectionDetails;

/**
 * Where pools connect to: host, port and SSL bundle of a pool, given by the application or by a
 * service connection (a Testcontainers container annotated
 * {@code @ServiceConnection(name = "orders", type = ConnPoolConnectionDetails.class)}, or a
 * Docker Compose service labelled {@code connpool.pool: orders}) instead of
 * {@code connpool.pools.<name>.host}, {@code .port} and {@code .ssl.bundle}.
 *
 * <p>Every bean of this type is asked, in order; the first that knows a pool decides where it
 * connects to. A pool none of them knows takes its properties. The pool itself is still declared
 * under {@code connpool.pools.<name>}, with every other setting there.
 *
 * <pre>{@code
 * @Bean
 * ConnPoolConnectionDetails ordersFromDiscovery(Discovery discovery) {
 *     return name -> name.equals("orders") ? discovery.ordersBackend() : null;
 * }
 * }</pre>
 */
@FunctionalInterface
public interface ConnPoolConnectionDetails extends ConnectionDetails {

    /**
     * Where a pool connects to.
     *
     * @param poolName the pool's name, as under {@code connpool.pools}
     * @return the pool's backend, or null to leave the pool to other details or its properties
     */
    @Nullable Pool details(String poolName);

    /**
     * Fixed details for some pools.
     *
     * @param pools pool name to backend
     * @return details that know exactly these pools
     */
    static ConnPoolConnectionDetails of(Map<String, Pool> pools) {
        Map<String, Pool> copy = Map.copyOf(pools);
        return copy::get;
    }

    /**
     * The backend of one pool.
     *
     * @param host host name or address
     * @param port TCP port, 1 to 65535
     * @param sslBundle the name of an SSL bundle ({@code spring.ssl.bundle.*}) to connect with TLS, or
     *        null for plain TCP
     */
    record Pool(String host, int port, @Nullable String sslBundle) {

        /**
         * Checks the values.
         *
         * @throws IllegalArgumentException if the host is blank or the port out of range
         */
        public Pool {
            Objects.requireNonNull(host, "host must not be null");
            if (host.isBlank()) {
                throw new IllegalArgumentException("host must not be blank");
            }
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("port must be between 1 and 65535, was " + port);
            }
        }

        /**
         * A backend reached over plain TCP.
         *
         * @param host host name or address
         * @param port TCP port
         */
        public Pool(String host, int port) {
            this(host, port, null);
        }
    }
}
