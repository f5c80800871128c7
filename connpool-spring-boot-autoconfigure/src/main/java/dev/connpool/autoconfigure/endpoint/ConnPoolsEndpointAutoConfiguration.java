package dev.connpool.autoconfigure.endpoint;

import dev.connpool.ConnPool;
import dev.connpool.autoconfigure.ConnPoolAutoConfiguration;
import dev.connpool.autoconfigure.ConnPools;
import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.autoconfigure.endpoint.expose.EndpointExposure;
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
        ConnPoolsEndpoint connPoolsEndpoint(ConnPools pools) {
            return new ConnPoolsEndpoint(pools);
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
