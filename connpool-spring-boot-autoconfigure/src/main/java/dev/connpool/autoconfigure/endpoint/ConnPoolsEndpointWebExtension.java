package dev.connpool.autoconfigure.endpoint;

import dev.connpool.autoconfigure.endpoint.ConnPoolsEndpoint.InvalidRequestDescriptor;
import dev.connpool.autoconfigure.endpoint.ConnPoolsEndpoint.PoolOperationDescriptor;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.actuate.endpoint.OperationResponseBody;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.boot.actuate.endpoint.annotation.WriteOperation;
import org.springframework.boot.actuate.endpoint.web.WebEndpointResponse;
import org.springframework.boot.actuate.endpoint.web.annotation.EndpointWebExtension;

/**
 * The write operation over HTTP: a pool that does not exist answers 404, not the 204 of a write
 * operation's null; a request that breaks a rule answers 400 with a body that names the field and the
 * rule ({@code {"status":400,"error":"Bad Request","field":"maxSize","message":"maxSize must be ..."}}),
 * not the actuator's bare 400.
 */
@EndpointWebExtension(endpoint = ConnPoolsEndpoint.class)
public class ConnPoolsEndpointWebExtension {

    private final ConnPoolsEndpoint delegate;

    /**
     * Creates the extension.
     *
     * @param delegate the endpoint
     */
    public ConnPoolsEndpointWebExtension(ConnPoolsEndpoint delegate) {
        this.delegate = delegate;
    }

    /**
     * As {@link ConnPoolsEndpoint#operate(String, String, String, String)}.
     *
     * @param name the pool's name
     * @param action the action; none evicts idle connections
     * @param minSize for resize
     * @param maxSize for resize
     * @return the outcome, 400 naming the field at fault, or 404
     */
    @WriteOperation
    public WebEndpointResponse<OperationResponseBody> operate(@Selector String name, @Nullable String action,
            @Nullable String minSize, @Nullable String maxSize) {
        PoolOperationDescriptor outcome;
        try {
            outcome = delegate.operate(name, action, minSize, maxSize);
        } catch (InvalidPoolOperationException e) {
            return new WebEndpointResponse<>(new InvalidRequestDescriptor(WebEndpointResponse.STATUS_BAD_REQUEST,
                    "Bad Request", e.getField(), e.getReason()), WebEndpointResponse.STATUS_BAD_REQUEST);
        }
        return outcome != null ? new WebEndpointResponse<>(outcome)
                : new WebEndpointResponse<>(WebEndpointResponse.STATUS_NOT_FOUND);
    }
}
