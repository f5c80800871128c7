package dev.connpool.autoconfigure;

import java.util.Objects;
import java.util.function.Consumer;

/**
 * Adjusts a pool declared under {@code connpool.pools} before it is created: its configuration, its
 * health check, its connector or its whole connection factory. Every bean of this type is called,
 * in {@link org.springframework.core.Ordered} order, for every pool; check the name to change only
 * some.
 *
 * <pre>{@code
 * @Bean
 * ConnPoolCustomizer redisPing() {
 *     return ConnPoolCustomizer.forPool("cache", spec -> spec.healthCheck(
 *             HealthCheck.requestResponse("PING\r\n".getBytes(US_ASCII), "+PONG".getBytes(US_ASCII),
 *                     Duration.ofMillis(500))));
 * }
 * }</pre>
 *
 * Pools defined as beans by the application itself are not customized.
 */
@FunctionalInterface
public interface ConnPoolCustomizer {

    /**
     * Adjusts one pool.
     *
     * @param name the pool's name, which is also its bean name
     * @param spec what the pool will be made of; change it in place
     */
    void customize(String name, ConnPoolSpec spec);

    /**
     * A customizer of one pool only.
     *
     * @param name the pool's name
     * @param customizer what to do to its spec
     * @return the customizer
     */
    static ConnPoolCustomizer forPool(String name, Consumer<ConnPoolSpec> customizer) {
        Objects.requireNonNull(name, "name must not be null");
        Objects.requireNonNull(customizer, "customizer must not be null");
        return (poolName, spec) -> {
            if (name.equals(poolName)) {
                customizer.accept(spec);
            }
        };
    }
}
