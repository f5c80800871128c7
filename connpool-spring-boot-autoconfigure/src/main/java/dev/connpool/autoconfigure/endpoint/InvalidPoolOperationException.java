package dev.connpool.autoconfigure.endpoint;

import org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException;

/**
 * A write operation of the {@code connpools} endpoint that breaks a rule: an unknown action, a size
 * that is not a whole number or that the pool's rules refuse, sizes given to another action. Its
 * message names the field and the rule; over HTTP it is a 400 whose body says both.
 */
public class InvalidPoolOperationException extends InvalidEndpointRequestException {

    private static final long serialVersionUID = 1L;

    private final String field;

    /**
     * Creates the exception.
     *
     * @param field the request's field at fault: {@code action}, {@code minSize} or {@code maxSize}
     * @param message the rule it breaks, naming the field
     */
    public InvalidPoolOperationException(String field, String message) {
        super(message, message);
        this.field = field;
    }

    /**
     * The field at fault.
     *
     * @return {@code action}, {@code minSize} or {@code maxSize}
     */
    public String getField() {
        return field;
    }
}
