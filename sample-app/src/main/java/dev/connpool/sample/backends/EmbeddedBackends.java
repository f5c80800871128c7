package dev.connpool.sample.backends;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.function.UnaryOperator;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.config.BeanFactoryPostProcessor;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.EnvironmentAware;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.Environment;
import org.springframework.core.env.MapPropertySource;
import org.springframework.stereotype.Component;

/**
 * The examples' own backends on 127.0.0.1, so that the sample app works on a fresh machine: an echo
 * server for {@code echo}, and {@code backend-1} and {@code backend-2}, which answer each line with
 * their name, for the load balancer. Off with {@code sample.backends.embedded=false}; then point the
 * pools at backends of your own ({@code connpool.pools.<name>.host/port}).
 *
 * <h2>Why a BeanFactoryPostProcessor</h2>
 * Pools open their {@code min-size} connections as their beans are created, so the backends must
 * listen before any pool bean exists. Spring runs every bean factory post-processor before it
 * creates a single ordinary bean, whatever the bean names, dependencies or order of auto-configuration,
 * so starting the servers here needs no {@code @DependsOn} on beans the starter registers; and
 * unlike an initializer or environment post-processor, a bean is destroyed with its context, also
 * when its refresh fails. It is destroyed after the pools (beans are destroyed in the reverse order
 * of their creation, and this one is made first), so the backends outlive every connection to them.
 *
 * <h2>Ports</h2>
 * {@code sample.backends.<name>.port}: 9001 (echo), 9101 and 9102 by default; 0 for any free port.
 * Once bound, each server's actual port is published under the same property, ahead of every other
 * property source, and application.yml takes the pools' ports from there
 * ({@code port: ${sample.backends.echo.port:9001}}).
 */
@Component
@ConditionalOnBooleanProperty(name = "sample.backends.embedded", matchIfMissing = true)
public final class EmbeddedBackends implements BeanFactoryPostProcessor, EnvironmentAware, DisposableBean {

    public static final String ECHO = "echo";
    public static final String BACKEND_1 = "backend-1";
    public static final String BACKEND_2 = "backend-2";

    /** The name of the property source that holds the bound ports. */
    public static final String PROPERTY_SOURCE = "sampleEmbeddedBackends";

    private static final Map<String, Integer> DEFAULT_PORTS = Map.of(ECHO, 9001, BACKEND_1, 9101, BACKEND_2, 9102);

    private final Map<String, LineServer> servers = new LinkedHashMap<>();
    private ConfigurableEnvironment environment;

    public EmbeddedBackends() {
        servers.put(ECHO, new LineServer(ECHO, UnaryOperator.identity()));
        servers.put(BACKEND_1, new LineServer(BACKEND_1, line -> BACKEND_1 + ": " + line));
        servers.put(BACKEND_2, new LineServer(BACKEND_2, line -> BACKEND_2 + ": " + line));
    }

    @Override
    public void setEnvironment(Environment environment) {
        this.environment = (ConfigurableEnvironment) environment;
    }

    @Override
    public void postProcessBeanFactory(ConfigurableListableBeanFactory beanFactory) {
        Binder binder = Binder.get(environment);
        Map<String, Object> bound = new LinkedHashMap<>();
        for (LineServer server : servers.values()) {
            String property = "sample.backends." + server.name() + ".port";
            int port = binder.bind(property, Integer.class).orElse(DEFAULT_PORTS.get(server.name()));
            try {
                server.start(port);
            } catch (IOException e) {
                destroy();
                throw new EmbeddedBackendException(server.name(), property, port, e);
            }
            bound.put(property, server.port());
        }
        environment.getPropertySources().addFirst(new MapPropertySource(PROPERTY_SOURCE, bound));
    }

    /**
     * One of the servers, to stop and restart it (a backend outage).
     *
     * @param name {@link #ECHO}, {@link #BACKEND_1} or {@link #BACKEND_2}
     * @return the server
     */
    public LineServer server(String name) {
        LineServer server = servers.get(name);
        if (server == null) {
            throw new NoSuchElementException("no embedded backend '" + name + "'; there are " + servers.keySet());
        }
        return server;
    }

    /** Stops every server. */
    @Override
    public void destroy() {
        servers.values().forEach(LineServer::stop);
    }

    /** A server could not listen on its port. */
    public static final class EmbeddedBackendException extends RuntimeException {

        private static final long serialVersionUID = 1L;

        private final String backend;
        private final String property;
        private final int port;

        EmbeddedBackendException(String backend, String property, int port, IOException cause) {
            super("Embedded backend '" + backend + "' could not listen on 127.0.0.1:" + port + ": " + cause.getMessage(),
                    cause);
            this.backend = backend;
            this.property = property;
            this.port = port;
        }

        public String backend() {
            return backend;
        }

        public String property() {
            return property;
        }

        public int port() {
            return port;
        }
    }
}
