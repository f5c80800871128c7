package dev.connpool;

/**
 * Why the pool closed a connection. Every connection the pool opens is closed exactly once, for
 * exactly one of these reasons, so the counts of {@link PoolStats} add up to
 * {@code created - size}.
 */
public enum CloseReason {

    /** It sat idle longer than {@link ConnPoolConfig#idleTimeout()} while the pool held more than {@code minSize}. */
    IDLE("idle"),

    /** It reached its lifetime, drawn from {@code [0.9, 1.0] × maxLifetime}. */
    LIFETIME("lifetime"),

    /** Its {@link HealthCheck} failed. */
    HEALTH("health"),

    /** The caller marked it unusable ({@link PooledConnection#markUnusable()}). */
    UNUSABLE("unusable"),

    /** The pool was closed. */
    SHUTDOWN("shutdown");

    private final String tag;

    CloseReason(String tag) {
        this.tag = tag;
    }

    /**
     * The lower-case name used in metrics tags and JSON.
     *
     * @return for example {@code "idle"}
     */
    public String tag() {
        return tag;
    }
}
