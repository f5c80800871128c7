package dev.connpool;

import java.time.Duration;
import java.util.Objects;

/**
 * The immutable settings of a {@link ConnPool}. Build one with {@link #builder()}:
 *
 * <pre>{@code
 * ConnPoolConfig config = ConnPoolConfig.builder()
 *         .minSize(5)
 *         .maxSize(20)
 *         .idleTimeout(Duration.ofSeconds(30))
 *         .maxLifetime(Duration.ofMinutes(5))
 *         .healthCheck(HealthCheck.liveness())
 *         .build();
 * }</pre>
 *
 * <table>
 * <caption>Settings and defaults</caption>
 * <tr><th>setting</th><th>default</th><th>rule</th></tr>
 * <tr><td>{@code minSize}</td><td>0</td><td>0..maxSize</td></tr>
 * <tr><td>{@code maxSize}</td><td>none, required</td><td>&gt; 0</td></tr>
 * <tr><td>{@code increment}</td><td>1</td><td>1..maxSize</td></tr>
 * <tr><td>{@code idleTimeout}</td><td>0 (disabled)</td><td>&gt;= 0</td></tr>
 * <tr><td>{@code maxLifetime}</td><td>0 (disabled)</td><td>&gt;= 0</td></tr>
 * <tr><td>{@code healthCheck}</td><td>{@link HealthCheck#liveness()}</td><td>not null</td></tr>
 * <tr><td>{@code healthCheckAfterIdle}</td><td>0 (check on every get)</td><td>&gt;= 0</td></tr>
 * <tr><td>{@code evictInterval}</td><td>30 s</td><td>0 or negative disables the evictor</td></tr>
 * <tr><td>{@code acquireTimeout}</td><td>30 s</td><td>&gt;= 0</td></tr>
 * <tr><td>{@code maxWaiters}</td><td>unbounded</td><td>&gt;= 0</td></tr>
 * <tr><td>{@code failFast}</td><td>true</td><td></td></tr>
 * <tr><td>{@code leakDetectionThreshold}</td><td>0 (off)</td><td>&gt;= 0</td></tr>
 * <tr><td>{@code maxConnectBackoff}</td><td>10 s</td><td>&gt;= 0; 0 = no backoff</td></tr>
 * </table>
 */
public final class ConnPoolConfig {

    /** The default {@link #evictInterval()}: 30 seconds. */
    public static final Duration DEFAULT_EVICT_INTERVAL = Duration.ofSeconds(30);

    /** The default {@link #acquireTimeout()}: 30 seconds. */
    public static final Duration DEFAULT_ACQUIRE_TIMEOUT = Duration.ofSeconds(30);

    /** The default {@link #maxConnectBackoff()}: 10 seconds. */
    public static final Duration DEFAULT_MAX_CONNECT_BACKOFF = Duration.ofSeconds(10);

    /** The default {@link #maxWaiters()}: no limit. */
    public static final int UNBOUNDED_WAITERS = Integer.MAX_VALUE;

    private final int minSize;
    private final int maxSize;
    private final int increment;
    private final Duration idleTimeout;
    private final Duration maxLifetime;
    private final HealthCheck healthCheck;
    private final Duration healthCheckAfterIdle;
    private final Duration evictInterval;
    private final Duration acquireTimeout;
    private final int maxWaiters;
    private final boolean failFast;
    private final Duration leakDetectionThreshold;
    private final Duration maxConnectBackoff;

    private ConnPoolConfig(Builder b) {
        this.minSize = b.minSize;
        this.maxSize = b.maxSize;
        this.increment = b.increment;
        this.idleTimeout = b.idleTimeout;
        this.maxLifetime = b.maxLifetime;
        this.healthCheck = b.healthCheck;
        this.healthCheckAfterIdle = b.healthCheckAfterIdle;
        this.evictInterval = b.evictInterval;
        this.acquireTimeout = b.acquireTimeout;
        this.maxWaiters = b.maxWaiters;
        this.failFast = b.failFast;
        this.leakDetectionThreshold = b.leakDetectionThreshold;
        this.maxConnectBackoff = b.maxConnectBackoff;
    }

    /**
     * Starts a configuration with every default; only {@code maxSize} must be set.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A builder holding this configuration's values, to derive a changed copy.
     *
     * @return a new builder
     */
    public Builder toBuilder() {
        return new Builder()
                .minSize(minSize)
                .maxSize(maxSize)
                .increment(increment)
                .idleTimeout(idleTimeout)
                .maxLifetime(maxLifetime)
                .healthCheck(healthCheck)
                .healthCheckAfterIdle(healthCheckAfterIdle)
                .evictInterval(evictInterval)
                .acquireTimeout(acquireTimeout)
                .maxWaiters(maxWaiters)
                .failFast(failFast)
                .leakDetectionThreshold(leakDetectionThreshold)
                .maxConnectBackoff(maxConnectBackoff);
    }

    /**
     * Connections the pool keeps open even when idle; opened by {@link ConnPool#create} and
     * restored by the evictor.
     *
     * @return 0..maxSize
     */
    public int minSize() {
        return minSize;
    }

    /**
     * The most connections the pool ever has open at once, lent and idle together.
     *
     * @return at least 1
     */
    public int maxSize() {
        return maxSize;
    }

    /**
     * How many connections the pool opens when it must grow: one for the caller that needs it,
     * the rest in the background.
     *
     * @return 1..maxSize
     */
    public int increment() {
        return increment;
    }

    /**
     * How long a connection may sit idle before it is closed, as long as the pool holds more than
     * {@code minSize}; {@link Duration#ZERO} disables it.
     *
     * @return zero or positive
     */
    public Duration idleTimeout() {
        return idleTimeout;
    }

    /**
     * The ceiling of a connection's lifetime; each connection draws its own from
     * {@code [0.9, 1.0] × maxLifetime}, so connections opened together do not expire together.
     * {@link Duration#ZERO} disables it.
     *
     * @return zero or positive
     */
    public Duration maxLifetime() {
        return maxLifetime;
    }

    /**
     * The check an idle connection must pass before it is lent.
     *
     * @return never {@code null}
     */
    public HealthCheck healthCheck() {
        return healthCheck;
    }

    /**
     * How long a connection must have been idle before {@code get} runs the health check on it:
     * a connection returned moments ago was in use and working then, so checking it again costs
     * more than it finds (HikariCP skips its check for 500 ms, HttpClient has
     * {@code validateAfterInactivity}). {@link Duration#ZERO}, the default, checks on every get.
     * The evictor checks every idle connection whatever this says. Gets that skip the check are
     * counted in {@link PoolStats#healthChecksSkipped()}.
     *
     * @return zero or positive
     */
    public Duration healthCheckAfterIdle() {
        return healthCheckAfterIdle;
    }

    /**
     * How often the evictor checks idle connections and refills the pool to {@code minSize};
     * zero or negative disables it.
     *
     * @return the interval
     */
    public Duration evictInterval() {
        return evictInterval;
    }

    /**
     * How long {@link ConnPool#get()} waits at most.
     *
     * @return zero or positive
     */
    public Duration acquireTimeout() {
        return acquireTimeout;
    }

    /**
     * How many callers may wait for a connection at once; one more fails at once with
     * {@link TooManyWaitersException}.
     *
     * @return zero or positive; {@link #UNBOUNDED_WAITERS} means no limit
     */
    public int maxWaiters() {
        return maxWaiters;
    }

    /**
     * Whether {@link ConnPool#create} fails when it cannot open {@code minSize} connections. If
     * false, it returns a pool anyway and the evictor keeps trying to reach {@code minSize}.
     *
     * @return true by default
     */
    public boolean failFast() {
        return failFast;
    }

    /**
     * How long a lease may be held before the pool reports it as a suspected leak: once per lease, a
     * WARNING (logger {@code dev.connpool}) naming the pool, the thread that took it, how long it has
     * been held and the stack of the {@code get} that took it, counted in
     * {@link PoolStats#leaksSuspected()}; an INFO follows if that lease is returned later. The pool
     * looks for such leases every quarter of the threshold, but not more often than every 50 ms nor
     * less often than every 30 s, on the pool's housekeeping thread, which runs for it even when the
     * evictor is disabled; so a report comes at most that interval after the threshold has passed.
     * On, every {@code get} captures its stack, which costs microseconds and some hundred bytes per
     * get (see the benchmarks); {@link Duration#ZERO}, the default, turns detection off: no stack is
     * captured and {@code get} costs what it did without it.
     *
     * @return zero (off) or positive
     */
    public Duration leakDetectionThreshold() {
        return leakDetectionThreshold;
    }

    /**
     * The longest the pool waits between connects while the backend refuses them. After a failed
     * connect the next one waits 100 ms, each further failure doubles that up to this value, and a
     * successful connect resets it. While the pool backs off, a caller that needs a new connection
     * fails at once with {@link ConnectFailedException} (the last failure as its cause) if no lent
     * connection could come back to it, else waits for one within its deadline; the background
     * refill to {@code minSize} waits too. {@link Duration#ZERO} turns backoff off: every caller that
     * needs a connection dials.
     *
     * @return zero (off) or positive; 10 s by default
     */
    public Duration maxConnectBackoff() {
        return maxConnectBackoff;
    }

    @Override
    public String toString() {
        return "ConnPoolConfig[minSize=" + minSize + ", maxSize=" + maxSize + ", increment=" + increment
                + ", idleTimeout=" + idleTimeout + ", maxLifetime=" + maxLifetime + ", healthCheck=" + healthCheck
                + ", healthCheckAfterIdle=" + healthCheckAfterIdle
                + ", evictInterval=" + evictInterval + ", acquireTimeout=" + acquireTimeout
                + ", maxWaiters=" + (maxWaiters == UNBOUNDED_WAITERS ? "unbounded" : maxWaiters)
                + ", failFast=" + failFast + ", leakDetectionThreshold=" + leakDetectionThreshold
                + ", maxConnectBackoff=" + maxConnectBackoff + "]";
    }

    /**
     * Collects settings for a {@link ConnPoolConfig}. Setters only store; {@link #build()}
     * checks every rule and names the field that breaks one.
     */
    public static final class Builder {

        private int minSize = 0;
        private int maxSize = 0;
        private int increment = 1;
        private Duration idleTimeout = Duration.ZERO;
        private Duration maxLifetime = Duration.ZERO;
        private HealthCheck healthCheck = HealthCheck.liveness();
        private Duration healthCheckAfterIdle = Duration.ZERO;
        private Duration evictInterval = DEFAULT_EVICT_INTERVAL;
        private Duration acquireTimeout = DEFAULT_ACQUIRE_TIMEOUT;
        private int maxWaiters = UNBOUNDED_WAITERS;
        private boolean failFast = true;
        private Duration leakDetectionThreshold = Duration.ZERO;
        private Duration maxConnectBackoff = DEFAULT_MAX_CONNECT_BACKOFF;

        private Builder() {
        }

        /**
         * Sets {@link ConnPoolConfig#minSize()}.
         *
         * @param minSize 0..maxSize
         * @return this builder
         */
        public Builder minSize(int minSize) {
            this.minSize = minSize;
            return this;
        }

        /**
         * Sets {@link ConnPoolConfig#maxSize()}; required.
         *
         * @param maxSize at least 1
         * @return this builder
         */
        public Builder maxSize(int maxSize) {
            this.maxSize = maxSize;
            return this;
        }

        /**
         * Sets {@link ConnPoolConfig#increment()}.
         *
         * @param increment 1..maxSize
         * @return this builder
         */
        public Builder increment(int increment) {
            this.increment = increment;
            return this;
        }

        /**
         * Sets {@link ConnPoolConfig#idleTimeout()}.
         *
         * @param idleTimeout zero (disabled) or positive
         * @return this builder
         */
        public Builder idleTimeout(Duration idleTimeout) {
            this.idleTimeout = idleTimeout;
            return this;
        }

        /**
         * Sets {@link ConnPoolConfig#maxLifetime()}.
         *
         * @param maxLifetime zero (disabled) or positive
         * @return this builder
         */
        public Builder maxLifetime(Duration maxLifetime) {
            this.maxLifetime = maxLifetime;
            return this;
        }

        /**
         * Sets {@link ConnPoolConfig#healthCheck()}.
         *
         * @param healthCheck not null; {@link HealthCheck#none()} for no check
         * @return this builder
         */
        public Builder healthCheck(HealthCheck healthCheck) {
            this.healthCheck = healthCheck;
            return this;
        }

        /**
         * Sets {@link ConnPoolConfig#healthCheckAfterIdle()}.
         *
         * @param healthCheckAfterIdle zero (check on every get) or positive
         * @return this builder
         */
        public Builder healthCheckAfterIdle(Duration healthCheckAfterIdle) {
            this.healthCheckAfterIdle = healthCheckAfterIdle;
            return this;
        }

        /**
         * Sets {@link ConnPoolConfig#evictInterval()}.
         *
         * @param evictInterval positive, or zero/negative to disable the evictor
         * @return this builder
         */
        public Builder evictInterval(Duration evictInterval) {
            this.evictInterval = evictInterval;
            return this;
        }

        /**
         * Sets {@link ConnPoolConfig#acquireTimeout()}.
         *
         * @param acquireTimeout zero (never wait) or positive
         * @return this builder
         */
        public Builder acquireTimeout(Duration acquireTimeout) {
            this.acquireTimeout = acquireTimeout;
            return this;
        }

        /**
         * Sets {@link ConnPoolConfig#maxWaiters()}.
         *
         * @param maxWaiters zero (never wait) or positive
         * @return this builder
         */
        public Builder maxWaiters(int maxWaiters) {
            this.maxWaiters = maxWaiters;
            return this;
        }

        /**
         * Sets {@link ConnPoolConfig#failFast()}.
         *
         * @param failFast whether {@link ConnPool#create} fails if it cannot open {@code minSize} connections
         * @return this builder
         */
        public Builder failFast(boolean failFast) {
            this.failFast = failFast;
            return this;
        }

        /**
         * Sets {@link ConnPoolConfig#leakDetectionThreshold()}.
         *
         * @param leakDetectionThreshold zero (off) or positive
         * @return this builder
         */
        public Builder leakDetectionThreshold(Duration leakDetectionThreshold) {
            this.leakDetectionThreshold = leakDetectionThreshold;
            return this;
        }

        /**
         * Sets {@link ConnPoolConfig#maxConnectBackoff()}.
         *
         * @param maxConnectBackoff zero (no backoff) or positive
         * @return this builder
         */
        public Builder maxConnectBackoff(Duration maxConnectBackoff) {
            this.maxConnectBackoff = maxConnectBackoff;
            return this;
        }

        /**
         * Checks every rule and builds the configuration.
         *
         * @return the configuration
         * @throws IllegalArgumentException naming the first field that breaks a rule, and the rule
         */
        public ConnPoolConfig build() {
            require(maxSize > 0, "maxSize", "must be greater than 0", maxSize);
            require(minSize >= 0, "minSize", "must be 0 or more", minSize);
            require(minSize <= maxSize, "minSize", "must not exceed maxSize (" + maxSize + ")", minSize);
            require(increment >= 1 && increment <= maxSize, "increment",
                    "must be between 1 and maxSize (" + maxSize + ")", increment);
            notNegative(idleTimeout, "idleTimeout");
            notNegative(maxLifetime, "maxLifetime");
            require(healthCheck != null, "healthCheck", "must not be null (use HealthCheck.none())", null);
            notNegative(healthCheckAfterIdle, "healthCheckAfterIdle");
            require(evictInterval != null, "evictInterval", "must not be null (use Duration.ZERO to disable)", null);
            notNegative(acquireTimeout, "acquireTimeout");
            require(maxWaiters >= 0, "maxWaiters", "must be 0 or more", maxWaiters);
            notNegative(leakDetectionThreshold, "leakDetectionThreshold");
            notNegative(maxConnectBackoff, "maxConnectBackoff");
            return new ConnPoolConfig(this);
        }

        private static void notNegative(Duration value, String field) {
            require(value != null, field, "must not be null", null);
            require(!value.isNegative(), field, "must not be negative", value);
        }

        private static void require(boolean rule, String field, String text, Object value) {
            if (!rule) {
                throw new IllegalArgumentException(field + " " + text + " (was " + value + ")");
            }
        }
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof ConnPoolConfig)) {
            return false;
        }
        ConnPoolConfig c = (ConnPoolConfig) o;
        return minSize == c.minSize && maxSize == c.maxSize && increment == c.increment
                && maxWaiters == c.maxWaiters && failFast == c.failFast && idleTimeout.equals(c.idleTimeout)
                && maxLifetime.equals(c.maxLifetime) && healthCheck.equals(c.healthCheck)
                && healthCheckAfterIdle.equals(c.healthCheckAfterIdle)
                && evictInterval.equals(c.evictInterval) && acquireTimeout.equals(c.acquireTimeout)
                && leakDetectionThreshold.equals(c.leakDetectionThreshold)
                && maxConnectBackoff.equals(c.maxConnectBackoff);
    }

    @Override
    public int hashCode() {
        return Objects.hash(minSize, maxSize, increment, idleTimeout, maxLifetime, healthCheck, healthCheckAfterIdle,
                evictInterval, acquireTimeout, maxWaiters, failFast, leakDetectionThreshold, maxConnectBackoff);
    }
}
