package dev.connpool.autoconfigure.endpoint;

import dev.connpool.autoconfigure.endpoint.ConnPoolsEndpoint.EvictionDescriptor;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.boot.actuate.endpoint.annotation.WriteOperation;
import org.springframework.boot.actuate.endpoint.web.WebEndpointResponse;
import org.springframework.boot.actuate.endpoint.web.annotation.EndpointWebExtension;

/**
 * Over HTTP, evicting the idle connections of a pool that does not exist answers 404, not the
 * 204 a write operation's null would give.
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
     * As {@link ConnPoolsEndpoint#evictIdle(String)}.
     *
     * @param name the pool's name
     * @return the outcome, or 404
     */
    @WriteOperation
    public WebEndpointResponse<EvictionDescriptor> evictIdle(@Selector String name) {
        EvictionDescriptor outcome = delegate.evictIdle(name);
        return outcome != null ? new WebEndpointResponse<>(outcome)
                : new WebEndpointResponse<>(WebEndpointResponse.STATUS_NOT_FOUND);
    }
}
