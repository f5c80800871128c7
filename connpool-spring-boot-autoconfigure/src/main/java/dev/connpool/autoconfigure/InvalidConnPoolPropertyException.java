package dev.connpool.autoconfigure;

import org.jspecify.annotations.Nullable;

/**
 * Thrown at startup when a {@code connpool.*} property breaks a rule; analysed by
 * {@link InvalidConnPoolPropertyFailureAnalyzer} into a report that names the property, the rule,
 * the value and where it was set.
 */
public class InvalidConnPoolPropertyException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String property;
    private final transient @Nullable Object value;
    private final String rule;
    private final @Nullable String inheritedFrom;
    private final @Nullable String origin;

    /**
     * Creates the exception.
     *
     * @param property the pool's property, for example {@code connpool.pools.orders.max-size}
     * @param value the offending value; null if the property is missing
     * @param rule what the value must be, for example {@code must be greater than 0}
     * @param inheritedFrom the property the value was inherited from ({@code connpool.defaults.*}),
     *        or null if the pool set it itself
     * @param origin where the value was set (file and line), if known
     */
    public InvalidConnPoolPropertyException(String property, @Nullable Object value, String rule,
            @Nullable String inheritedFrom, @Nullable String origin) {
        super(message(property, value, rule, inheritedFrom, origin));
        this.property = property;
        this.value = value;
        this.rule = rule;
        this.inheritedFrom = inheritedFrom;
        this.origin = origin;
    }

    private static String message(String property, @Nullable Object value, String rule,
            @Nullable String inheritedFrom, @Nullable String origin) {
        StringBuilder sb = new StringBuilder(property).append(' ').append(rule);
        if (value != null) {
            sb.append(" (was ").append(value);
            if (inheritedFrom != null) {
                sb.append(", inherited from ").append(inheritedFrom);
            }
            if (origin != null) {
                sb.append(", set in ").append(origin);
            }
            sb.append(')');
        }
        return sb.toString();
    }

    /**
     * The pool's property that breaks the rule.
     *
     * @return for example {@code connpool.pools.orders.max-size}
     */
    public String getProperty() {
        return property;
    }

    /**
     * The offending value, as bound.
     *
     * @return the value, or null if the property is missing
     */
    public @Nullable Object getValue() {
        return value;
    }

    /**
     * The rule the value breaks.
     *
     * @return for example {@code must be greater than 0}
     */
    public String getRule() {
        return rule;
    }

    /**
     * The property the value was inherited from.
     *
     * @return a {@code connpool.defaults.*} property, or null if the pool set the value itself
     */
    public @Nullable String getInheritedFrom() {
        return inheritedFrom;
    }

    /**
     * Where the value was set.
     *
     * @return for example {@code class path resource [application.yml] - 7:17}, or null if unknown
     */
    public @Nullable String getOrigin() {
        return origin;
    }
}
