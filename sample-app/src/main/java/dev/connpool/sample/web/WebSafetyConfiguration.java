package dev.connpool.sample.web;

import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication.Type;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;

/**
 * The sample's safety default, with {@code server.address=127.0.0.1} in application.yml: requests that
 * change something are accepted from this machine only ({@link LocalWritesOnly}), before anything else
 * sees them. Off with {@code sample.local-writes-only=false}, for an app that puts Spring Security (or a
 * proxy that authenticates) in front instead.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnWebApplication(type = Type.SERVLET)
@ConditionalOnBooleanProperty(name = "sample.local-writes-only", matchIfMissing = true)
public class WebSafetyConfiguration {

    @Bean
    FilterRegistrationBean<LocalWritesOnly> localWritesOnly() {
        FilterRegistrationBean<LocalWritesOnly> registration = new FilterRegistrationBean<>(new LocalWritesOnly());
        registration.setOrder(Ordered.HIGHEST_PRECEDENCE);
        registration.addUrlPatterns("/*");
        return registration;
    }
}
