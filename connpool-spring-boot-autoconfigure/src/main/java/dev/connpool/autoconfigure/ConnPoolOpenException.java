package dev.connpool.autoconfigure;

import org.jspecify.annotations.Nullable;

/**
 * Thrown at startup when a pool of {@code connpool.pools} cannot open its {@code min-size}
 * connections and {@code fail-fast} is on; analysed by {@link ConnPoolOpenFailureAnalyzer}.
 */
public class ConnPoolOpenException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    private final String poolName;
    private final @Nullable String target;

    /**
     * Creates the exception.
     *
     * @param poolName the pool's name
     * @param target where it connects to, if known
     * @param cause why the connections could not be opened
     */
    public ConnPoolOpenException(String poolName, @Nullable String target, Throwable cause) {
        super("connection pool '" + poolName + "'" + (target != null ? " (" + target + ")" : "")
                + " could not open its min-size connections: " + cause.getMessage(), cause);
        this.poolName = poolName;
        this.target = target;
    }

    /**
     * The pool's name.
     *
     * @return the name, also its bean name
     */
    public String getPoolName() {
        return poolName;
    }

    /**
     * Where the pool connects to.
     *
     * @return for example {@code tcp://localhost:9090}, or null if unknown
     */
    public @Nullable String getTarget() {
        return target;
    }
}
