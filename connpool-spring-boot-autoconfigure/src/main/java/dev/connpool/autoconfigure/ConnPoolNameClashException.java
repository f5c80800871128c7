package dev.connpool.autoconfigure;

import org.jspecify.annotations.Nullable;

/**
 * Thrown at startup when a pool of {@code connpool.pools} has the name of a bean that is not a
 * {@link dev.connpool.ConnPool}: the pool's bean would be hidden by it, or override it. Analysed by
 * {@link ConnPoolNameClashFailureAnalyzer}.
 */
public class ConnPoolNameClashException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    private final String poolName;
    private final @Nullable String beanType;
    private final @Nullable String beanSource;
    private final boolean reservedByContext;

    /**
     * Creates the exception.
     *
     * @param poolName the pool's name, also the name of the other bean
     * @param beanType the other bean's type, if known
     * @param beanSource where the other bean is defined, if known
     */
    public ConnPoolNameClashException(String poolName, @Nullable Class<?> beanType, @Nullable String beanSource) {
        this(poolName, beanType, beanSource, false);
    }

    private ConnPoolNameClashException(String poolName, @Nullable Class<?> beanType, @Nullable String beanSource,
            boolean reservedByContext) {
        super("connpool.pools." + poolName + " needs the bean name '" + poolName + "', but bean '" + poolName + "'"
                + (beanType != null ? " of type " + beanType.getName() : "")
                + (beanSource != null ? " defined in " + beanSource : "") + " has it already");
        this.poolName = poolName;
        this.beanType = beanType != null ? beanType.getName() : null;
        this.beanSource = beanSource;
        this.reservedByContext = reservedByContext;
    }

    /**
     * A pool named like a bean the application context makes itself when the application has none of
     * that name ({@code messageSource}, {@code applicationEventMulticaster}, {@code lifecycleProcessor}).
     *
     * @param poolName the pool's name
     * @param beanType the type of the context's bean
     * @return the exception
     */
    static ConnPoolNameClashException reservedByContext(String poolName, Class<?> beanType) {
        return new ConnPoolNameClashException(poolName, beanType,
                "the application context, which reserves it for its " + beanType.getSimpleName(), true);
    }

    /**
     * The pool's name.
     *
     * @return the name of the pool, and of the other bean
     */
    public String getPoolName() {
        return poolName;
    }

    /**
     * The type of the other bean.
     *
     * @return its class name, or null if it cannot be told before the bean is made
     */
    public @Nullable String getBeanType() {
        return beanType;
    }

    /**
     * Where the other bean is defined.
     *
     * @return a resource or factory method description, or null if unknown
     */
    public @Nullable String getBeanSource() {
        return beanSource;
    }

    /**
     * Whether the name is one the application context reserves for a bean of its own: only the pool
     * can be renamed.
     *
     * @return true for {@code messageSource}, {@code applicationEventMulticaster} and
     *         {@code lifecycleProcessor} when the application defines no bean of that name
     */
    public boolean isReservedByContext() {
        return reservedByContext;
    }
}
