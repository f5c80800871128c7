package dev.connpool.autoconfigure;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Reports a {@code connpool.*} property that breaks a rule: which property, which rule, the value
 * and where it was set, and what to do.
 */
class InvalidConnPoolPropertyFailureAnalyzer extends AbstractFailureAnalyzer<InvalidConnPoolPropertyException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, InvalidConnPoolPropertyException cause) {
        StringBuilder description = new StringBuilder("Invalid connection pool configuration: ")
                .append(cause.getProperty()).append(' ').append(cause.getRule()).append('.');
        if (cause.getValue() != null) {
            description.append(System.lineSeparator()).append(System.lineSeparator())
                    .append("    Property: ").append(cause.getProperty()).append(System.lineSeparator())
                    .append("    Value: \"").append(cause.getValue()).append('"');
            if (cause.getInheritedFrom() != null) {
                description.append(System.lineSeparator()).append("    Inherited from: ")
                        .append(cause.getInheritedFrom());
            }
            if (cause.getOrigin() != null) {
                description.append(System.lineSeparator()).append("    Origin: ").append(cause.getOrigin());
            }
        }
        String action;
        if (cause.getValue() == null) {
            action = "Set " + cause.getProperty() + " (or the default for every pool, "
                    + defaultsKey(cause.getProperty()) + ").";
        } else if (cause.getInheritedFrom() != null) {
            action = "Update " + cause.getInheritedFrom() + ", or override it with " + cause.getProperty()
                    + ": the value " + cause.getRule() + ".";
        } else {
            action = "Update " + cause.getProperty() + ": its value " + cause.getRule() + ".";
        }
        return new FailureAnalysis(description.toString(), action, cause);
    }

    /** {@code connpool.pools.orders.host} to {@code connpool.defaults.host}. */
    private static String defaultsKey(String property) {
        String rest = property.substring("connpool.pools.".length());
        int dot = rest.indexOf('.');
        return "connpool.defaults." + (dot >= 0 ? rest.substring(dot + 1) : rest);
    }
}
