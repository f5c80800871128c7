package dev.connpool.autoconfigure.endpoint;

import dev.connpool.CloseReason;
import dev.connpool.ConnPool;
import dev.connpool.ConnPoolConfig;
import dev.connpool.HealthCheck;
import dev.connpool.PoolStats;
import dev.connpool.autoconfigure.ConnPools;
import dev.connpool.tcp.RequestResponseCheck;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.actuate.endpoint.Access;
import org.springframework.boot.actuate.endpoint.OperationResponseBody;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.boot.actuate.endpoint.annotation.WriteOperation;

/**
 * The {@code connpools} endpoint: every pool's configuration and statistics, one pool by name, and
 * evicting a pool's idle connections (after a backend failover, say). Read-only unless
 * {@code management.endpoint.connpools.access=unrestricted}.
 *
 * <p>Nothing secret is shown: a health check is named by its kind only (a request-response check's
 * request could carry a password), and a pool's target is its scheme, host and port.
 */
@Endpoint(id = "connpools", defaultAccess = Access.READ_ONLY)
public class ConnPoolsEndpoint {

    private final ConnPools pools;

    /**
     * Creates the endpoint.
     *
     * @param pools the pools to show
     */
    public ConnPoolsEndpoint(ConnPools pools) {
        this.pools = Objects.requireNonNull(pools, "pools must not be null");
    }

    /**
     * Every pool.
     *
     * @return the pools by name
     */
    @ReadOperation
    public ConnPoolsDescriptor connPools() {
        Map<String, ConnPoolDescriptor> all = new LinkedHashMap<>();
        pools.asMap().forEach((name, pool) -> all.put(name, describe(name, pool)));
        return new ConnPoolsDescriptor(all);
    }

    /**
     * One pool.
     *
     * @param name the pool's name
     * @return the pool, or null (404 over HTTP) if there is none of that name
     */
    @ReadOperation
    public @Nullable ConnPoolDescriptor connPool(@Selector String name) {
        return pools.find(name).map(pool -> describe(name, pool)).orElse(null);
    }

    /**
     * Closes a pool's idle connections now; the pool reopens up to {@code min-size} in the background.
     * Connections in use are not touched.
     *
     * @param name the pool's name
     * @return how many connections were closed, or null if there is no pool of that name
     */
    @WriteOperation
    public @Nullable EvictionDescriptor evictIdle(@Selector String name) {
        return pools.find(name).map(pool -> new EvictionDescriptor(name, pool.evictIdle())).orElse(null);
    }

    private ConnPoolDescriptor describe(String name, ConnPool pool) {
        ConnPoolConfig c = pool.config();
        PoolStats s = pool.stats();
        Map<String, Long> closed = new LinkedHashMap<>();
        for (CloseReason reason : CloseReason.values()) {
            closed.put(reason.tag(), s.closed(reason));
        }
        ConfigDescriptor config = new ConfigDescriptor(c.minSize(), c.maxSize(), c.increment(),
                duration(c.idleTimeout()), duration(c.maxLifetime()), duration(c.evictInterval()),
                duration(c.acquireTimeout()),
                c.maxWaiters() == ConnPoolConfig.UNBOUNDED_WAITERS ? null : c.maxWaiters(), c.failFast(),
                healthCheckKind(c.healthCheck()));
        StatsDescriptor stats = new StatsDescriptor(s.size(), s.active(), s.available(), s.waiters(), s.connecting(),
                s.requests(), s.successes(), s.timeouts(), s.created(), s.connectFailures(), closed, s.waitCount(),
                duration(s.waitTime()));
        String lastConnectError = pool.lastConnectFailure()
                .map(Throwable::toString)
                .orElse(null);
        return new ConnPoolDescriptor(pool.name(), pools.target(name).orElse(null), pool.isClosed(), config, stats,
                lastConnectError);
    }

    static String healthCheckKind(HealthCheck check) {
        if (check == HealthCheck.none()) {
            return "none";
        }
        if (check == HealthCheck.liveness()) {
            return "liveness";
        }
        if (check instanceof RequestResponseCheck) {
            return "request-response";
        }
        return "custom";
    }

    /** As written in properties: {@code 30s}, {@code 5m}, {@code 250ms}. */
    static String duration(Duration d) {
        if (d.isZero()) {
            return "0s";
        }
        long nanos;
        try {
            nanos = d.toNanos();
        } catch (ArithmeticException e) {
            return d.toDays() + "d";
        }
        long[] units = {86_400_000_000_000L, 3_600_000_000_000L, 60_000_000_000L, 1_000_000_000L, 1_000_000L, 1_000L};
        String[] suffixes = {"d", "h", "m", "s", "ms", "us"};
        for (int i = 0; i < units.length; i++) {
            if (nanos % units[i] == 0) {
                return nanos / units[i] + suffixes[i];
            }
        }
        return nanos + "ns";
    }

    /**
     * Every pool, by name.
     *
     * @param pools the pools
     */
    public record ConnPoolsDescriptor(Map<String, ConnPoolDescriptor> pools) implements OperationResponseBody {

        public ConnPoolsDescriptor {
            pools = Collections.unmodifiableMap(new LinkedHashMap<>(pools));
        }
    }

    /**
     * One pool.
     *
     * @param name the pool's own name (metrics tag {@code pool})
     * @param target where it connects to, if known: {@code tcp://host:port} or {@code tls://host:port}
     * @param closed whether the pool is closed
     * @param config its configuration
     * @param stats its state and counters
     * @param lastConnectError the failure of its last connect, if that failed
     */
    public record ConnPoolDescriptor(String name, @Nullable String target, boolean closed, ConfigDescriptor config,
            StatsDescriptor stats, @Nullable String lastConnectError) implements OperationResponseBody {
    }

    /**
     * A pool's configuration.
     *
     * @param minSize connections kept open
     * @param maxSize most connections open at once
     * @param increment connections opened at once when growing
     * @param idleTimeout idle time before a connection is closed; 0s if off
     * @param maxLifetime longest life of a connection; 0s if off
     * @param evictInterval how often the evictor runs; 0s if off
     * @param acquireTimeout longest {@code get()} waits
     * @param maxWaiters callers allowed to wait at once; null if unbounded
     * @param failFast whether startup fails without {@code minSize} connections
     * @param healthCheck the kind of health check: none, liveness, request-response or custom
     */
    public record ConfigDescriptor(int minSize, int maxSize, int increment, String idleTimeout, String maxLifetime,
            String evictInterval, String acquireTimeout, @Nullable Integer maxWaiters, boolean failFast,
            String healthCheck) {
    }

    /**
     * A pool's state and counters; see {@link PoolStats}.
     *
     * @param size connections open
     * @param active connections in use
     * @param idle idle connections
     * @param waiters callers waiting for a connection
     * @param connecting connects in progress
     * @param requests calls to get
     * @param successes calls to get that returned a connection
     * @param timeouts calls to get that timed out
     * @param created connections opened
     * @param connectFailures connects that failed
     * @param closed connections closed, by reason
     * @param waitCount calls to get that had to wait for a connection to come back
     * @param waitTime the time those calls spent in get
     */
    public record StatsDescriptor(int size, int active, int idle, int waiters, int connecting, long requests,
            long successes, long timeouts, long created, long connectFailures, Map<String, Long> closed,
            long waitCount, String waitTime) {

        public StatsDescriptor {
            closed = Collections.unmodifiableMap(new LinkedHashMap<>(closed));
        }
    }

    /**
     * The outcome of an eviction.
     *
     * @param pool the pool's name
     * @param evicted how many idle connections were closed
     */
    public record EvictionDescriptor(String pool, int evicted) implements OperationResponseBody {
    }
}
