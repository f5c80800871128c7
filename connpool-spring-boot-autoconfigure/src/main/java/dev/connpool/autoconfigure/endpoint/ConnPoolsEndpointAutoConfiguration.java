package dev.connpool.autoconfigure.endpoint;

import dev.connpool.ConnPool;
import dev.connpool.autoconfigure.ConnPoolAutoConfiguration;
import dev.connpool.autoconfigure.ConnPools;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.autoconfigure.endpoint.expose.EndpointExposure;
import org.springframework.boot.actuate.endpoint.Access;
import org.springframework.boot.actuate.endpoint.EndpointAccessResolver;
import org.springframework.boot.actuate.endpoint.EndpointId;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Auto-configuration of the {@code connpools} endpoint, when it is exposed (add {@code connpools} to
 * {@code management.endpoints.web.exposure.include}).
 */
@AutoConfiguration(after = ConnPoolAutoConfiguration.class)
@ConditionalOnClass({ ConnPool.class, Endpoint.class, ConditionalOnAvailableEndpoint.class })
@ConditionalOnBooleanProperty(name = "connpool.enabled", matchIfMissing = true)
public final class ConnPoolsEndpointAutoConfiguration {

    // nested, so that its actuator conditions are read only once actuator is known to be there
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnAvailableEndpoint(ConnPoolsEndpoint.class)
    @ConditionalOnBean(ConnPools.class)
    static class EndpointConfiguration {

        @Bean
        @ConditionalOnMissingBean
        ConnPoolsEndpoint connPoolsEndpoint(ConnPools pools, ObjectProvider<EndpointAccessResolver> accessResolver) {
            // shown in the read output, so that a view offers the write operation only where it is allowed
            EndpointAccessResolver resolver = accessResolver.getIfAvailable();
            Access access = resolver == null ? null
                    : resolver.accessFor(EndpointId.of(ConnPoolsEndpoint.ID), Access.READ_ONLY);
            return new ConnPoolsEndpoint(pools, access);
        }

        @Bean
        @ConditionalOnMissingBean
        @ConditionalOnBean(ConnPoolsEndpoint.class)
        @ConditionalOnAvailableEndpoint(endpoint = ConnPoolsEndpoint.class, exposure = EndpointExposure.WEB)
        ConnPoolsEndpointWebExtension connPoolsEndpointWebExtension(ConnPoolsEndpoint endpoint) {
            return new ConnPoolsEndpointWebExtension(endpoint);
        }
    }
}
