package dev.connpool.autoconfigure;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Reports a pool named like a bean that is not a pool: which property, which bean, and what to rename.
 */
class ConnPoolNameClashFailureAnalyzer extends AbstractFailureAnalyzer<ConnPoolNameClashException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, ConnPoolNameClashException cause) {
        String name = cause.getPoolName();
        StringBuilder description = new StringBuilder()
                .append("The connection pool connpool.pools.").append(name)
                .append(" would be a bean named '").append(name).append("', but the context has another bean '")
                .append(name).append("' already");
        if (cause.getBeanType() != null) {
            description.append(System.lineSeparator()).append("    Type: ").append(cause.getBeanType());
        }
        if (cause.getBeanSource() != null) {
            description.append(System.lineSeparator()).append("    Defined in: ").append(cause.getBeanSource());
        }
        if (cause.isReservedByContext()) {
            String action = "Rename the pool (connpool.pools." + name + " to connpool.pools.<another name>): the "
                    + "application context reserves the bean name '" + name + "' for its " + cause.getBeanType() + ".";
            return new FailureAnalysis(description.toString(), action, cause);
        }
        String action = "Rename the pool (connpool.pools." + name + " to connpool.pools.<another name>) or rename "
                + "bean '" + name + "'. To replace the configured pool with one of your own instead, declare bean '"
                + name + "' with the type ConnPool.";
        return new FailureAnalysis(description.toString(), action, cause);
    }
}
