package dev.connpool.sample.admin;

import de.codecentric.boot.admin.client.config.ClientProperties;
import de.codecentric.boot.admin.client.registration.ApplicationFactory;
import de.codecentric.boot.admin.client.registration.ApplicationRegistrator;
import de.codecentric.boot.admin.client.registration.RegistrationClient;
import de.codecentric.boot.admin.server.config.EnableAdminServer;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication.Type;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * Spring Boot Admin in the sample app itself: the admin server under {@code spring.boot.admin.context-path}
 * ({@code /admin}), and the app registered in it as a client, so that its pools show in the admin UI
 * (health, metrics, and the {@code connpools} view of the UI extension). On by default; off with
 * {@code sample.admin.enabled=false}, which application.yml also passes on to
 * {@code spring.boot.admin.client.enabled}. Command-line demos run without a web server, and so without it.
 *
 * <p>In a real deployment the admin server is an application of its own and each service only has
 * the client; one process here keeps the sample a single {@code java -jar}.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnWebApplication(type = Type.SERVLET)
@ConditionalOnBooleanProperty(name = "sample.admin.enabled", matchIfMissing = true)
@EnableAdminServer
public class AdminConfiguration {

    /**
     * Registers with admin URLs resolved when the app registers, once its web server listens: the app
     * registers with itself, on the port it actually got ({@code ${local.server.port}}, also a random one).
     * Replaces the client's own registrator, which resolves them at startup.
     */
    @Bean
    @ConditionalOnBooleanProperty(name = "spring.boot.admin.client.enabled", matchIfMissing = true)
    ApplicationRegistrator registrator(RegistrationClient registrationClient, ClientProperties client,
            ApplicationFactory applicationFactory, Environment environment) {
        return new DeferredUrlRegistrator(applicationFactory, registrationClient, client, environment);
    }
}
