package dev.connpool.autoconfigure;

import dev.connpool.ConnPoolConfig;
import dev.connpool.HealthCheck;
import dev.connpool.autoconfigure.ConnPoolProperties.HealthCheckType;
import dev.connpool.autoconfigure.ConnPoolProperties.Pool;
import dev.connpool.tcp.TcpConnector;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.source.ConfigurationProperty;

/**
 * The settings of one pool, resolved and checked: each value is the pool's own, else the one of
 * {@code connpool.defaults}, else the built-in default. Every rule is checked here, before anything
 * is built, so that a broken one is reported with the exact property ({@code
 * connpool.pools.orders.max-size}), where its value came from, and the rule.
 */
final class PoolSettings {

    static final int DEFAULT_MAX_SIZE = 10;
    static final Duration DEFAULT_SHUTDOWN_GRACE = Duration.ofSeconds(5);
    static final Duration DEFAULT_CHECK_TIMEOUT = Duration.ofSeconds(1);

    /** Finds a property as the environment holds it, to report its origin and raw value. */
    @FunctionalInterface
    interface PropertyLookup {

        @Nullable ConfigurationProperty find(String name);
    }

    final String host;
    final int port;
    final Duration connectTimeout;
    final Duration shutdownGrace;
    final @Nullable String sslBundle;
    final boolean verifyHostname;
    final @Nullable String serverName;
    private final ConnPoolConfig config;
    private final Resolver resolver;

    private PoolSettings(Resolver r, ConnPoolConnectionDetails.@Nullable Pool details) {
        this.resolver = r;
        if (details != null) {
            // the connection details decide where to: host, port and ssl.bundle of the properties are not read
            this.host = details.host();
            this.port = details.port();
        } else {
            Value<String> hostValue = r.get("host", Pool::getHost, null);
            if (hostValue.value == null) {
                throw r.missing(hostValue, "is required: the host name or address of the backend");
            }
            if (hostValue.value.isBlank()) {
                throw r.invalid(hostValue, "must not be blank");
            }
            this.host = hostValue.value.trim();
            Value<Integer> portValue = r.get("port", Pool::getPort, null);
            if (portValue.value == null) {
                throw r.missing(portValue, "is required: the TCP port of the backend");
            }
            r.require(portValue, portValue.value >= 1 && portValue.value <= 65535, "must be between 1 and 65535");
            this.port = portValue.value;
        }

        Value<Integer> maxSize = r.get("max-size", Pool::getMaxSize, DEFAULT_MAX_SIZE);
        r.require(maxSize, maxSize.value > 0, "must be greater than 0");
        Value<Integer> minSize = r.get("min-size", Pool::getMinSize, 0);
        r.require(minSize, minSize.value >= 0, "must be 0 or more");
        r.require(minSize, minSize.value <= maxSize.value, "must not exceed max-size (" + maxSize.value + ")");
        Value<Integer> increment = r.get("increment", Pool::getIncrement, 1);
        r.require(increment, increment.value >= 1 && increment.value <= maxSize.value,
                "must be between 1 and max-size (" + maxSize.value + ")");
        Value<Duration> idleTimeout = r.notNegative(r.get("idle-timeout", Pool::getIdleTimeout, Duration.ZERO));
        Value<Duration> maxLifetime = r.notNegative(r.get("max-lifetime", Pool::getMaxLifetime, Duration.ZERO));
        Value<Duration> evictInterval = r.get("evict-interval", Pool::getEvictInterval,
                ConnPoolConfig.DEFAULT_EVICT_INTERVAL);
        r.require(evictInterval, !evictInterval.value.isNegative(), "must not be negative (0 disables the evictor)");
        Value<Duration> connect = r.get("connect-timeout", Pool::getConnectTimeout,
                TcpConnector.DEFAULT_CONNECT_TIMEOUT);
        r.require(connect, positive(connect.value), "must be greater than 0");
        this.connectTimeout = connect.value;
        Value<Duration> acquireTimeout = r.notNegative(r.get("acquire-timeout", Pool::getAcquireTimeout,
                ConnPoolConfig.DEFAULT_ACQUIRE_TIMEOUT));
        Value<Integer> maxWaiters = r.get("max-waiters", Pool::getMaxWaiters, ConnPoolConfig.UNBOUNDED_WAITERS);
        r.require(maxWaiters, maxWaiters.value >= 0, "must be 0 or more");
        Value<Boolean> failFast = r.get("fail-fast", Pool::getFailFast, Boolean.TRUE);
        this.shutdownGrace = r.notNegative(r.get("shutdown-grace", Pool::getShutdownGrace,
                DEFAULT_SHUTDOWN_GRACE)).value;

        Value<Duration> leakDetectionThreshold = r.notNegative(r.get("leak-detection-threshold",
                Pool::getLeakDetectionThreshold, Duration.ZERO));
        Value<Duration> maxConnectBackoff = r.get("max-connect-backoff", Pool::getMaxConnectBackoff,
                ConnPoolConfig.DEFAULT_MAX_CONNECT_BACKOFF);
        r.require(maxConnectBackoff, !maxConnectBackoff.value.isNegative(), "must not be negative (0 disables backoff)");

        HealthCheck healthCheck = healthCheck(r);
        Value<Duration> checkAfterIdle = r.notNegative(r.get("health-check.after-idle",
                p -> p.getHealthCheck().getAfterIdle(), Duration.ZERO));

        this.sslBundle = details != null ? details.sslBundle()
                : r.get("ssl.bundle", p -> p.getSsl().getBundle(), null).value;
        this.verifyHostname = r.get("ssl.verify-hostname", p -> p.getSsl().getVerifyHostname(), Boolean.TRUE).value;
        Value<String> serverNameValue = r.get("ssl.server-name", p -> p.getSsl().getServerName(), null);
        if (serverNameValue.value != null && serverNameValue.value.isBlank()) {
            throw r.invalid(serverNameValue, "must not be blank");
        }
        this.serverName = serverNameValue.value;

        ConnPoolConfig.Builder builder = ConnPoolConfig.builder()
                .minSize(minSize.value)
                .maxSize(maxSize.value)
                .increment(increment.value)
                .idleTimeout(idleTimeout.value)
                .maxLifetime(maxLifetime.value)
                .healthCheck(healthCheck)
                .healthCheckAfterIdle(checkAfterIdle.value)
                .evictInterval(evictInterval.value)
                .acquireTimeout(acquireTimeout.value)
                .maxWaiters(maxWaiters.value)
                .failFast(failFast.value)
                .leakDetectionThreshold(leakDetectionThreshold.value)
                .maxConnectBackoff(maxConnectBackoff.value);
        try {
            this.config = builder.build();
        } catch (IllegalArgumentException e) {
            // the core has a rule this class does not know (yet): report it under the property name
            throw new InvalidConnPoolPropertyException(r.prefix + propertyOf(e.getMessage()),
                    null, coreRule(e.getMessage()), null, null);
        }
    }

    /**
     * Resolves and checks the settings of one pool.
     *
     * @param details where the pool connects to, if connection details know; else its properties say
     *
     * @throws InvalidConnPoolPropertyException naming the first property that breaks a rule
     */
    static PoolSettings resolve(String name, ConnPoolProperties properties, PropertyLookup lookup,
            ConnPoolConnectionDetails.@Nullable Pool details) {
        Pool own = properties.getPools().get(name);
        if (own == null) {
            throw new IllegalArgumentException("no pool named '" + name + "' under connpool.pools");
        }
        return new PoolSettings(new Resolver(name, own, properties.getDefaults(), lookup), details);
    }

    /**
     * A new builder holding the pool's configuration, valid as it is.
     *
     * @return a fresh builder, for the pool's customizers to change
     */
    ConnPoolConfig.Builder configBuilder() {
        return config.toBuilder();
    }

    /**
     * An exception for a setting found wrong only when the pool is built (an SSL bundle that does
     * not exist, for instance), with where its value came from.
     */
    InvalidConnPoolPropertyException invalid(String key, Function<Pool, ?> getter, String rule) {
        return resolver.invalid(resolver.get(key, getter, null), rule);
    }

    private static HealthCheck healthCheck(Resolver r) {
        Value<HealthCheckType> type = r.get("health-check.type", p -> p.getHealthCheck().getType(),
                HealthCheckType.LIVENESS);
        switch (type.value) {
            case NONE:
                return HealthCheck.none();
            case LIVENESS:
                return HealthCheck.liveness();
            default:
                Value<String> request = r.get("health-check.request", p -> p.getHealthCheck().getRequest(), null);
                Value<String> expect = r.get("health-check.expect", p -> p.getHealthCheck().getExpect(), null);
                Value<Duration> timeout = r.get("health-check.timeout", p -> p.getHealthCheck().getTimeout(),
                        DEFAULT_CHECK_TIMEOUT);
                byte[] requestBytes = bytes(r, request);
                byte[] expectBytes = bytes(r, expect);
                r.require(timeout, positive(timeout.value), "must be greater than 0");
                return HealthCheck.requestResponse(requestBytes, expectBytes, timeout.value);
        }
    }

    private static byte[] bytes(Resolver r, Value<String> v) {
        if (v.value == null || v.value.isEmpty()) {
            throw r.missing(v, "is required when health-check.type is request-response");
        }
        try {
            return v.value.translateEscapes().getBytes(StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw r.invalid(v, "must use only Java escapes (\\r, \\n, \\t, \\0, \\\\): " + e.getMessage());
        }
    }

    private static boolean positive(Duration d) {
        return !d.isNegative() && !d.isZero();
    }

    /** {@code maxSize must be ...} from the core: the kebab-case property of its first word. */
    static String propertyOf(String coreMessage) {
        String field = coreMessage.split(" ", 2)[0];
        return kebab(field);
    }

    private static String coreRule(String coreMessage) {
        String[] parts = coreMessage.split(" ", 2);
        String rule = parts.length > 1 ? parts[1] : coreMessage;
        StringBuilder sb = new StringBuilder();
        for (String word : rule.split(" ", -1)) {
            if (sb.length() > 0) {
                sb.append(' ');
            }
            sb.append(word.matches("[a-z]+[A-Z][A-Za-z]*") ? kebab(word) : word);
        }
        return sb.toString();
    }

    private static String kebab(String camel) {
        StringBuilder sb = new StringBuilder();
        for (char c : camel.toCharArray()) {
            if (Character.isUpperCase(c)) {
                sb.append('-').append(Character.toLowerCase(c));
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    /** A resolved value and the property it belongs to. */
    private static final class Value<T> {

        final T value;
        /** The pool's own property, always: {@code connpool.pools.orders.max-size}. */
        final String property;
        /** The defaults' property if the value came from there. */
        final @Nullable String inheritedFrom;

        Value(T value, String property, @Nullable String inheritedFrom) {
            this.value = value;
            this.property = property;
            this.inheritedFrom = inheritedFrom;
        }
    }

    /** Looks a key up in the pool, then in the defaults, and builds the exceptions. */
    private static final class Resolver {

        final String prefix;
        final Pool own;
        final Pool defaults;
        final PropertyLookup lookup;

        Resolver(String name, Pool own, Pool defaults, PropertyLookup lookup) {
            this.prefix = "connpool.pools." + name + ".";
            this.own = own;
            this.defaults = defaults;
            this.lookup = lookup;
        }

        <T> Value<T> get(String key, Function<Pool, T> getter, T fallback) {
            T mine = getter.apply(own);
            if (mine != null) {
                return new Value<>(mine, prefix + key, null);
            }
            T inherited = getter.apply(defaults);
            if (inherited != null) {
                return new Value<>(inherited, prefix + key, "connpool.defaults." + key);
            }
            return new Value<>(fallback, prefix + key, null);
        }

        void require(Value<?> v, boolean rule, String text) {
            if (!rule) {
                throw invalid(v, text);
            }
        }

        Value<Duration> notNegative(Value<Duration> v) {
            require(v, !v.value.isNegative(), "must not be negative");
            return v;
        }

        InvalidConnPoolPropertyException missing(Value<?> v, String text) {
            return new InvalidConnPoolPropertyException(v.property, null, text, null, null);
        }

        InvalidConnPoolPropertyException invalid(Value<?> v, String text) {
            String setAt = v.inheritedFrom != null ? v.inheritedFrom : v.property;
            ConfigurationProperty p = lookup.find(setAt);
            Object shown = v.value;
            String origin = null;
            if (p != null) {
                if (p.getValue() != null) {
                    shown = p.getValue();
                }
                if (p.getOrigin() != null) {
                    origin = p.getOrigin().toString();
                }
            }
            return new InvalidConnPoolPropertyException(v.property, shown, text, v.inheritedFrom, origin);
        }
    }
}
