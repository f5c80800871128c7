package dev.connpool.autoconfigure;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Configuration properties of connpool: {@code connpool.pools.<name>.*} declares a pool, a
 * {@link dev.connpool.ConnPool} bean named {@code <name>}; {@code connpool.defaults.*} takes the same
 * keys and gives every pool the values it does not set itself.
 *
 * <p>Every pool setting is optional here (null when not set) so that a pool's own value, the
 * default's value and the built-in default can be told apart; {@link PoolSettings} resolves them.
 */
@ConfigurationProperties("connpool")
public class ConnPoolProperties {

    /**
     * Whether to create the pools of connpool.pools and the endpoint, health contributor and
     * metrics that come with them.
     */
    private boolean enabled = true;

    /**
     * Settings every pool inherits; a pool's own value wins.
     */
    private final Pool defaults = new Pool();

    /**
     * The pools, by name: each becomes a ConnPool bean of that name. Every key of connpool.defaults
     * can be set per pool.
     */
    private final Map<String, Pool> pools = new LinkedHashMap<>();

    public boolean isEnabled() {
        return enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    public Pool getDefaults() {
        return defaults;
    }

    public Map<String, Pool> getPools() {
        return pools;
    }

    /** The settings of one pool, or the defaults of all. */
    public static class Pool {

        /**
         * Host name or address of the backend. Required, for each pool or in the defaults.
         */
        private String host;

        /**
         * TCP port of the backend, 1 to 65535. Required, for each pool or in the defaults.
         */
        private Integer port;

        /**
         * Connections kept open even when idle: opened at startup and restored by the evictor.
         * Between 0 and max-size. Default: 0.
         */
        private Integer minSize;

        /**
         * Most connections open at once, in use and idle together. Greater than 0. Default: 10.
         */
        private Integer maxSize;

        /**
         * Connections opened at once when the pool must grow: one for the caller that needs it, the
         * rest in the background. Between 1 and max-size. Default: 1.
         */
        private Integer increment;

        /**
         * How long a connection may stay idle before it is closed, as long as the pool holds more
         * than min-size. 0 disables it. Default: 0.
         */
        private Duration idleTimeout;

        /**
         * Longest life of a connection; each one draws its own between 90% and 100% of it, so that
         * connections opened together do not expire together. 0 disables it. Default: 0.
         */
        private Duration maxLifetime;

        /**
         * How often the evictor checks idle connections and refills the pool to min-size. 0 disables
         * the evictor. Default: 30s.
         */
        private Duration evictInterval;

        /**
         * Longest a connect may take, TLS handshake included. Greater than 0. Default: 10s.
         */
        private Duration connectTimeout;

        /**
         * Longest ConnPool.get() waits for a connection, connecting included. Default: 30s.
         */
        private Duration acquireTimeout;

        /**
         * Callers allowed to wait for a connection at once; one more fails at once. Default:
         * unbounded.
         */
        private Integer maxWaiters;

        /**
         * Whether startup fails when min-size connections cannot be opened. If false, the pool starts
         * anyway and the evictor keeps trying. Default: true.
         */
        private Boolean failFast;

        /**
         * How long closing the application context waits for connections in use to be returned
         * before closing them under their users; also how long stopping the context for a checkpoint
         * (CRaC) waits for them. Default: 5s.
         */
        private Duration shutdownGrace;

        /**
         * How long a connection may be held by its user before the pool reports it as a suspected
         * leak: once per lease, a warning with the thread that took it, how long it has been held and
         * the stack of the get that took it, counted in the connpool.connections.leaked meter (and
         * an info message if it comes back later). Set it above the longest legitimate use; while
         * on, each get captures its stack. 0 disables leak detection. Default: 0s.
         */
        private Duration leakDetectionThreshold;

        /**
         * Longest pause between connects while the backend refuses them: after a failed connect the
         * next one waits 100ms, doubling with each further failure up to this, until a connect
         * succeeds. Meanwhile a caller that needs a new connection fails at once (ConnectFailedException
         * with the last failure) unless one in use could come back to it. 0 disables backoff: every
         * caller that needs a connection dials. Default: 10s.
         */
        private Duration maxConnectBackoff;

        /**
         * The check an idle connection must pass before it is lent again.
         */
        private final Check healthCheck = new Check();

        /**
         * TLS settings; TLS is on when a bundle is named.
         */
        private final Ssl ssl = new Ssl();

        public String getHost() {
            return host;
        }

        public void setHost(String host) {
            this.host = host;
        }

        public Integer getPort() {
            return port;
        }

        public void setPort(Integer port) {
            this.port = port;
        }

        public Integer getMinSize() {
            return minSize;
        }

        public void setMinSize(Integer minSize) {
            this.minSize = minSize;
        }

        public Integer getMaxSize() {
            return maxSize;
        }

        public void setMaxSize(Integer maxSize) {
            this.maxSize = maxSize;
        }

        public Integer getIncrement() {
            return increment;
        }

        public void setIncrement(Integer increment) {
            this.increment = increment;
        }

        public Duration getIdleTimeout() {
            return idleTimeout;
        }

        public void setIdleTimeout(Duration idleTimeout) {
            this.idleTimeout = idleTimeout;
        }

        public Duration getMaxLifetime() {
            return maxLifetime;
        }

        public void setMaxLifetime(Duration maxLifetime) {
            this.maxLifetime = maxLifetime;
        }

        public Duration getEvictInterval() {
            return evictInterval;
        }

        public void setEvictInterval(Duration evictInterval) {
            this.evictInterval = evictInterval;
        }

        public Duration getConnectTimeout() {
            return connectTimeout;
        }

        public void setConnectTimeout(Duration connectTimeout) {
            this.connectTimeout = connectTimeout;
        }

        public Duration getAcquireTimeout() {
            return acquireTimeout;
        }

        public void setAcquireTimeout(Duration acquireTimeout) {
            this.acquireTimeout = acquireTimeout;
        }

        public Integer getMaxWaiters() {
            return maxWaiters;
        }

        public void setMaxWaiters(Integer maxWaiters) {
            this.maxWaiters = maxWaiters;
        }

        public Boolean getFailFast() {
            return failFast;
        }

        public void setFailFast(Boolean failFast) {
            this.failFast = failFast;
        }

        public Duration getShutdownGrace() {
            return shutdownGrace;
        }

        public void setShutdownGrace(Duration shutdownGrace) {
            this.shutdownGrace = shutdownGrace;
        }

        public Duration getLeakDetectionThreshold() {
            return leakDetectionThreshold;
        }

        public void setLeakDetectionThreshold(Duration leakDetectionThreshold) {
            this.leakDetectionThreshold = leakDetectionThreshold;
        }

        public Duration getMaxConnectBackoff() {
            return maxConnectBackoff;
        }

        public void setMaxConnectBackoff(Duration maxConnectBackoff) {
            this.maxConnectBackoff = maxConnectBackoff;
        }

        public Check getHealthCheck() {
            return healthCheck;
        }

        public Ssl getSsl() {
            return ssl;
        }
    }

    /** The kinds of health check, written {@code none}, {@code liveness}, {@code request-response}. */
    public enum HealthCheckType {

        /** No check: the fastest get, for backends whose connections do not go stale. */
        NONE,

        /** Detects a connection the backend closed or reset, or bytes left unread, without a round trip. */
        LIVENESS,

        /** Sends a request and expects a reply starting with given bytes, within a timeout. */
        REQUEST_RESPONSE
    }

    /** Health check settings. */
    public static class Check {

        /**
         * The kind of check: none, liveness (detects a connection the backend closed or reset,
         * without a round trip) or request-response (sends request, expects a reply starting with
         * expect). Default: liveness.
         */
        private HealthCheckType type;

        /**
         * The request a request-response check sends, for example "PING\r\n". Java escapes (\r, \n,
         * \t, \0, \\) are translated; the text is sent as UTF-8.
         */
        private String request;

        /**
         * What the reply of a request-response check must start with, for example "+PONG". Java
         * escapes are translated as in request.
         */
        private String expect;

        /**
         * Longest a request-response check may take. Greater than 0. Default: 1s.
         */
        private Duration timeout;

        /**
         * How long a connection must have been idle before a get checks it; a connection returned
         * more recently is lent without a check, which saves the check on a busy pool. 0 or more;
         * 0 checks on every get. Default: 0s.
         */
        private Duration afterIdle;

        public HealthCheckType getType() {
            return type;
        }

        public void setType(HealthCheckType type) {
            this.type = type;
        }

        public String getRequest() {
            return request;
        }

        public void setRequest(String request) {
            this.request = request;
        }

        public String getExpect() {
            return expect;
        }

        public void setExpect(String expect) {
            this.expect = expect;
        }

        public Duration getTimeout() {
            return timeout;
        }

        public void setTimeout(Duration timeout) {
            this.timeout = timeout;
        }

        public Duration getAfterIdle() {
            return afterIdle;
        }

        public void setAfterIdle(Duration afterIdle) {
            this.afterIdle = afterIdle;
        }
    }

    /** TLS settings. */
    public static class Ssl {

        /**
         * Name of the SSL bundle (spring.ssl.bundle.*) that holds the trust material, and client keys
         * if any. Setting it turns TLS on.
         */
        private String bundle;

        /**
         * Whether the backend's certificate must match the server name (the host unless server-name
         * is set). The certificate chain is verified either way. Default: true.
         */
        private Boolean verifyHostname;

        /**
         * Name sent as SNI and checked against the certificate, when it differs from the host.
         */
        private String serverName;

        public String getBundle() {
            return bundle;
        }

        public void setBundle(String bundle) {
            this.bundle = bundle;
        }

        public Boolean getVerifyHostname() {
            return verifyHostname;
        }

        public void setVerifyHostname(Boolean verifyHostname) {
            this.verifyHostname = verifyHostname;
        }

        public String getServerName() {
            return serverName;
        }

        public void setServerName(String serverName) {
            this.serverName = serverName;
        }
    }
}
