package dev.connpool.sample.support;

import dev.connpool.testkit.Ports;
import org.springframework.test.context.DynamicPropertyRegistry;

/**
 * Points the sample app's {@code redis} pool at a loopback port nobody listens on, for the tests
 * that are not about Redis: the app must start and serve everything else without it.
 */
public final class NoRedis {

    /**
     * What a request to the {@code redis} pool fails with while Redis refuses connects: the failed
     * connect made for it or, within the pool's connect backoff after one, the backoff's refusal, which
     * starts the same way.
     */
    public static final String CONNECT_FAILED = "connection pool 'redis': could not open a connection";

    private NoRedis() {
    }

    /**
     * Registers {@code connpool.pools.redis.host} and {@code .port} for a closed loopback port.
     *
     * @param registry the test's dynamic properties
     * @param port a port from {@link Ports#closed()}
     */
    public static void register(DynamicPropertyRegistry registry, int port) {
        registry.add("connpool.pools.redis.host", () -> "127.0.0.1");
        registry.add("connpool.pools.redis.port", () -> port);
    }

    /** As {@link #register(DynamicPropertyRegistry, int)}, on a fresh closed port. */
    public static void register(DynamicPropertyRegistry registry) {
        register(registry, Ports.closed());
    }
}
