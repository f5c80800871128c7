package dev.connpool.sample.web;

import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.cloud.CloudPlatform;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication.Type;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.core.env.Environment;

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
    FilterRegistrationBean<LocalWritesOnly> localWritesOnly(Environment environment) {
        refuseWhatTheGuardCannotCover(environment);
        FilterRegistrationBean<LocalWritesOnly> registration = new FilterRegistrationBean<>(new LocalWritesOnly());
        registration.setOrder(Ordered.HIGHEST_PRECEDENCE);
        registration.addUrlPatterns("/*");
        return registration;
    }

    /**
     * The guard trusts the client address of a request on the application's own port. Two settings
     * would break that trust, so the sample refuses to start with them rather than look safe: a
     * separate management port (the actuator, and its write operation, would listen there without
     * the guard) and forwarded headers (the servlet container, or Spring's filter, would take the
     * client address from an {@code X-Forwarded-For} any client can send). Boot turns the latter on
     * by itself on Kubernetes and Cloud Foundry.
     */
    static void refuseWhatTheGuardCannotCover(Environment environment) {
        String managementPort = environment.getProperty("management.server.port");
        if (managementPort != null && !managementPort.isBlank() && !"-1".equals(managementPort.trim())
                && !managementPort.trim().equals(environment.getProperty("server.port", "8080").trim())) {
            throw new IllegalStateException("management.server.port=" + managementPort + " would put the actuator,"
                    + " and its write operation, on a port that sample.local-writes-only does not guard: remove"
                    + " it, or set sample.local-writes-only=false and protect the actuator yourself (Spring Security)");
        }
        String strategy = environment.getProperty("server.forward-headers-strategy");
        boolean forwarded = strategy != null ? !"none".equalsIgnoreCase(strategy.trim())
                : CloudPlatform.getActive(environment) != null && CloudPlatform.getActive(environment).isUsingForwardHeaders();
        if (forwarded) {
            throw new IllegalStateException("forwarded headers are on (server.forward-headers-strategy="
                    + (strategy != null ? strategy : "native, as Boot sets on " + CloudPlatform.getActive(environment))
                    + "): a client could name itself 127.0.0.1 in X-Forwarded-For, so sample.local-writes-only"
                    + " cannot tell this machine's requests from others'. Set server.forward-headers-strategy=none,"
                    + " or set sample.local-writes-only=false and protect the writes yourself (Spring Security)");
        }
    }
}
