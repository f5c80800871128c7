package dev.connpool.sample.admin;

import de.codecentric.boot.admin.client.config.ClientProperties;
import de.codecentric.boot.admin.client.registration.ApplicationFactory;
import de.codecentric.boot.admin.client.registration.ApplicationRegistrator;
import de.codecentric.boot.admin.client.registration.DefaultApplicationRegistrator;
import de.codecentric.boot.admin.client.registration.RegistrationClient;
import java.util.Arrays;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.env.Environment;

/**
 * The Spring Boot Admin client's registrator, with the admin server's URLs resolved at the first
 * registration instead of at startup. Properties are bound before the web server listens, so a URL
 * that names the app's own port, {@code http://127.0.0.1:${local.server.port}/admin}, still holds the
 * placeholder then; the client registers once the application is ready, when
 * {@code local.server.port} is known. URLs without placeholders work as with the default registrator.
 */
final class DeferredUrlRegistrator implements ApplicationRegistrator {

    private static final Logger LOGGER = LoggerFactory.getLogger(DeferredUrlRegistrator.class);

    private final ApplicationFactory applicationFactory;
    private final RegistrationClient registrationClient;
    private final ClientProperties client;
    private final Environment environment;

    /** Made at the first registration whose URLs resolve; guarded by {@code this}. */
    private @Nullable DefaultApplicationRegistrator delegate;

    DeferredUrlRegistrator(ApplicationFactory applicationFactory, RegistrationClient registrationClient,
            ClientProperties client, Environment environment) {
        this.applicationFactory = Objects.requireNonNull(applicationFactory, "applicationFactory must not be null");
        this.registrationClient = Objects.requireNonNull(registrationClient, "registrationClient must not be null");
        this.client = Objects.requireNonNull(client, "client must not be null");
        this.environment = Objects.requireNonNull(environment, "environment must not be null");
    }

    @Override
    public boolean register() {
        DefaultApplicationRegistrator registrator = delegate(true);
        return registrator != null && registrator.register();
    }

    @Override
    public void deregister() {
        DefaultApplicationRegistrator registrator = delegate(false);
        if (registrator != null) {
            registrator.deregister();
        }
    }

    @Override
    public @Nullable String getRegisteredId() {
        DefaultApplicationRegistrator registrator = delegate(false);
        return registrator == null ? null : registrator.getRegisteredId();
    }

    /** The registrator, made now if asked to and the URLs resolve; null otherwise. */
    private synchronized @Nullable DefaultApplicationRegistrator delegate(boolean create) {
        if (delegate == null && create) {
            String[] adminUrls;
            try {
                adminUrls = Arrays.stream(client.getAdminUrl())
                        .map(environment::resolveRequiredPlaceholders)
                        .toArray(String[]::new);
            } catch (IllegalArgumentException e) {
                // not listening yet: the registration task tries again every spring.boot.admin.client.period
                LOGGER.debug("Not registering with Spring Boot Admin yet: {}", e.getMessage());
                return null;
            }
            delegate = new DefaultApplicationRegistrator(applicationFactory, registrationClient, adminUrls,
                    client.isRegisterOnce());
        }
        return delegate;
    }
}
