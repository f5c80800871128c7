package dev.connpool.autoconfigure.endpoint;

import dev.connpool.CloseReason;
import dev.connpool.ConnPool;
import dev.connpool.ConnPoolConfig;
import dev.connpool.HealthCheck;
import dev.connpool.PoolStats;
import dev.connpool.autoconfigure.ConnPools;
import dev.connpool.tcp.RequestResponseCheck;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Locale;
import java.util.Objects;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.actuate.endpoint.Access;
import org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException;
import org.springframework.boot.actuate.endpoint.OperationResponseBody;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.boot.actuate.endpoint.annotation.WriteOperation;

/**
 * The {@code connpools} endpoint: every pool's configuration, state and statistics, one pool by name,
 * and one write operation on a pool, {@code POST /actuator/connpools/{name}}, whose JSON body names
 * the {@link Action action}:
 * <ul>
 *   <li>{@code {}} or no body: evict idle connections, as before there were other actions;</li>
 *   <li>{@code {"action": "evict-idle"}}, {@code "soft-evict"}, {@code "suspend"}, {@code "resume"};</li>
 *   <li>{@code {"action": "resize", "minSize": 2, "maxSize": 20}}: either size may be left out to keep it.</li>
 * </ul>
 * Read-only unless {@code management.endpoint.connpools.access=unrestricted}. A request that breaks
 * a rule is refused ({@link InvalidPoolOperationException}, 400 over HTTP) naming the field and the rule.
 *
 * <p>Nothing secret is shown: a health check is named by its kind only (a request-response check's
 * request could carry a password), and a pool's target is its scheme, host and port.
 */
@Endpoint(id = ConnPoolsEndpoint.ID, defaultAccess = Access.READ_ONLY)
public class ConnPoolsEndpoint {

    /** The endpoint's id. */
    public static final String ID = "connpools";

    private final ConnPools pools;
    private final @Nullable Access access;

    /**
     * Creates the endpoint.
     *
     * @param pools the pools to show
     */
    public ConnPoolsEndpoint(ConnPools pools) {
        this(pools, null);
    }

    /**
     * Creates the endpoint, telling its readers what access it has.
     *
     * @param pools the pools to show
     * @param access the endpoint's access, as configured; shown so that a view knows whether to offer
     *        the write operation; null if unknown
     */
    public ConnPoolsEndpoint(ConnPools pools, @Nullable Access access) {
        this.pools = Objects.requireNonNull(pools, "pools must not be null");
        this.access = access;
    }

    /** What the write operation does, named in its {@code action} field. */
    public enum Action {

        /** Closes the idle connections now; the pool reopens up to {@code min-size}. The default. */
        EVICT_IDLE,

        /** Retires every connection: idle ones now, those in use when returned; the pool refills. */
        SOFT_EVICT,

        /** Lends nothing and opens nothing until resumed; gets wait (within their timeout). */
        SUSPEND,

        /** Ends a suspension: waiting gets are served, the pool refills to {@code min-size}. */
        RESUME,

        /** Sets {@code minSize} and/or {@code maxSize}. */
        RESIZE;

        /** As written in a request: {@code evict-idle}, {@code soft-evict}, ... */
        public String value() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        static Action of(String value) {
            for (Action a : values()) {
                if (a.value().equals(value.trim())) {
                    return a;
                }
            }
            throw new InvalidPoolOperationException("action", "action must be one of "
                    + Arrays.stream(values()).map(Action::value).collect(Collectors.joining(", "))
                    + " (was '" + value + "')");
        }
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
        return new ConnPoolsDescriptor(access == null ? null : accessValue(access), all);
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
     * The write operation: does the {@code action} to a pool. Sizes are taken as text, so that a
     * value that is not a whole number is reported under its own name.
     *
     * @param name the pool's name
     * @param action {@code evict-idle} (also when null), {@code soft-evict}, {@code suspend},
     *        {@code resume} or {@code resize}
     * @param minSize for {@code resize}: the new minimum; null keeps it
     * @param maxSize for {@code resize}: the new maximum; null keeps it
     * @return what was done and the pool's state after it, or null if there is no pool of that name
     * @throws InvalidPoolOperationException naming the field and the rule it breaks
     */
    @WriteOperation
    public @Nullable PoolOperationDescriptor operate(@Selector String name, @Nullable String action,
            @Nullable String minSize, @Nullable String maxSize) {
        boolean sized = minSize != null || maxSize != null;
        Action what = action == null || action.isBlank() ? null : Action.of(action);
        if (what == null) {
            if (sized) {
                throw new InvalidPoolOperationException("action",
                        "action must be resize when minSize or maxSize is given (an empty body evicts idle connections)");
            }
            what = Action.EVICT_IDLE;
        }
        if (what != Action.RESIZE && sized) {
            throw new InvalidPoolOperationException(minSize != null ? "minSize" : "maxSize",
                    (minSize != null ? "minSize" : "maxSize") + " is only taken by action resize (action was "
                            + what.value() + ")");
        }
        if (what == Action.RESIZE && !sized) {
            throw new InvalidPoolOperationException("maxSize", "resize needs maxSize, minSize or both");
        }
        Integer min = size("minSize", minSize);
        Integer max = size("maxSize", maxSize);
        ConnPool pool = pools.find(name).orElse(null);
        if (pool == null) {
            return null;
        }
        switch (what) {
            case EVICT_IDLE:
                return outcome(name, pool, what, pool.evictIdle());
            case SOFT_EVICT:
                return outcome(name, pool, what, pool.softEvictAll());
            case SUSPEND:
                pool.suspend();
                return outcome(name, pool, what, null);
            case RESUME:
                pool.resume();
                return outcome(name, pool, what, null);
            default:
                return resize(name, pool, min, max);
        }
    }

    /**
     * Closes a pool's idle connections now; the pool reopens up to {@code min-size} in the background.
     * Connections in use are not touched. The write operation with an empty body.
     *
     * @param name the pool's name
     * @return the outcome, with how many connections were closed, or null if there is no pool of that name
     */
    public @Nullable PoolOperationDescriptor evictIdle(String name) {
        return operate(name, null, null, null);
    }

    private static PoolOperationDescriptor resize(String name, ConnPool pool, @Nullable Integer min,
            @Nullable Integer max) {
        ConnPoolConfig now = pool.config();
        try {
            pool.resize(min != null ? min : now.minSize(), max != null ? max : now.maxSize());
        } catch (IllegalArgumentException e) {
            // the builder's rule, which names its field first: "maxSize must be greater than 0 (was 0)"
            String message = String.valueOf(e.getMessage());
            String field = message.split(" ", 2)[0];
            throw new InvalidPoolOperationException(field.equals("minSize") || field.equals("maxSize") ? field
                    : max != null ? "maxSize" : "minSize", message);
        }
        return outcome(name, pool, Action.RESIZE, null);
    }

    private static @Nullable Integer size(String field, @Nullable String value) {
        if (value == null) {
            return null;
        }
        try {
            return Integer.valueOf(value.trim());
        } catch (NumberFormatException e) {
            throw new InvalidPoolOperationException(field, field + " must be a whole number (was '" + value + "')");
        }
    }

    private static PoolOperationDescriptor outcome(String name, ConnPool pool, Action action,
            @Nullable Integer evicted) {
        ConnPoolConfig c = pool.config();
        return new PoolOperationDescriptor(name, action.value(), evicted, pool.isSuspended(), pool.isClosed(),
                c.minSize(), c.maxSize());
    }

    static String accessValue(Access access) {
        return access.name().toLowerCase(Locale.ROOT).replace('_', '-');
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
                healthCheckKind(c.healthCheck()), duration(c.healthCheckAfterIdle()),
                duration(c.leakDetectionThreshold()), duration(c.maxConnectBackoff()));
        StatsDescriptor stats = new StatsDescriptor(s.size(), s.active(), s.available(), s.waiters(), s.connecting(),
                s.requests(), s.successes(), s.timeouts(), s.created(), s.connectFailures(), closed, s.waitCount(),
                duration(s.waitTime()), s.healthChecksSkipped(), s.leaksSuspected());
        String lastConnectError = pool.lastConnectFailure()
                .map(Throwable::toString)
                .orElse(null);
        return new ConnPoolDescriptor(pool.name(), pools.target(name).orElse(null), pool.isClosed(),
                pool.isSuspended(), config, stats, lastConnectError);
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
     * @param access the endpoint's access ({@code read-only} or {@code unrestricted}: whether the write
     *        operation is allowed), if known
     * @param pools the pools
     */
    public record ConnPoolsDescriptor(@Nullable String access, Map<String, ConnPoolDescriptor> pools)
            implements OperationResponseBody {

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
     * @param suspended whether the pool is suspended (lends nothing, opens nothing, until resumed)
     * @param config its configuration, with its current sizes
     * @param stats its state and counters
     * @param lastConnectError the failure of its last connect, if that failed
     */
    public record ConnPoolDescriptor(String name, @Nullable String target, boolean closed, boolean suspended,
            ConfigDescriptor config, StatsDescriptor stats, @Nullable String lastConnectError)
            implements OperationResponseBody {
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
     * @param healthCheckAfterIdle idle time below which a get skips the check; 0s if it always checks
     * @param leakDetectionThreshold how long a lease may be held before it is reported; 0s if off
     * @param maxConnectBackoff longest pause between connects while the backend refuses them; 0s if off
     */
    public record ConfigDescriptor(int minSize, int maxSize, int increment, String idleTimeout, String maxLifetime,
            String evictInterval, String acquireTimeout, @Nullable Integer maxWaiters, boolean failFast,
            String healthCheck, String healthCheckAfterIdle, String leakDetectionThreshold,
            String maxConnectBackoff) {
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
     * @param healthChecksSkipped gets that lent an idle connection without a check (health-check.after-idle)
     * @param leaksSuspected leases held longer than the leak detection threshold, each counted once
     */
    public record StatsDescriptor(int size, int active, int idle, int waiters, int connecting, long requests,
            long successes, long timeouts, long created, long connectFailures, Map<String, Long> closed,
            long waitCount, String waitTime, long healthChecksSkipped, long leaksSuspected) {

        public StatsDescriptor {
            closed = Collections.unmodifiableMap(new LinkedHashMap<>(closed));
        }
    }

    /**
     * The outcome of the write operation: what was done, and the pool's state after it.
     *
     * @param pool the pool's name
     * @param action the action done: evict-idle, soft-evict, suspend, resume or resize
     * @param evicted for evict-idle and soft-evict: how many idle connections were closed now
     * @param suspended whether the pool is suspended now
     * @param closed whether the pool is closed (then the action did nothing)
     * @param minSize the pool's min-size now
     * @param maxSize the pool's max-size now
     */
    public record PoolOperationDescriptor(String pool, String action, @Nullable Integer evicted, boolean suspended,
            boolean closed, int minSize, int maxSize) implements OperationResponseBody {
    }

    /**
     * A write operation refused, over HTTP with status 400.
     *
     * @param status 400
     * @param error {@code Bad Request}
     * @param field the request's field at fault: action, minSize or maxSize
     * @param message the rule it breaks, naming the field
     */
    public record InvalidRequestDescriptor(int status, String error, String field, String message)
            implements OperationResponseBody {
    }
}
