package dev.connpool.autoconfigure;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Reports a pool that could not open its {@code min-size} connections at startup: which pool, where
 * to, why, and the two ways out.
 */
class ConnPoolOpenFailureAnalyzer extends AbstractFailureAnalyzer<ConnPoolOpenException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, ConnPoolOpenException cause) {
        String name = cause.getPoolName();
        Throwable reason = cause.getCause();
        while (reason.getCause() != null && reason.getCause() != reason) {
            reason = reason.getCause();
        }
        String description = "Connection pool '" + name + "' could not open its min-size connections"
                + (cause.getTarget() != null ? " to " + cause.getTarget() : "") + ": " + reason;
        String action = "Check that the backend is up and reachable at connpool.pools." + name + ".host and port, "
                + "or let the application start without it: set connpool.pools." + name + ".fail-fast=false (the "
                + "pool then keeps trying every evict-interval) or connpool.pools." + name + ".min-size=0.";
        return new FailureAnalysis(description, action, cause);
    }
}
