package dev.connpool.autoconfigure;

import dev.connpool.ConnPool;
import dev.connpool.ConnPoolConfig;
import dev.connpool.ConnectionFactory;
import dev.connpool.tcp.TcpConnector;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.ssl.NoSuchSslBundleException;
import org.springframework.boot.ssl.SslBundle;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.core.env.Environment;

/**
 * Makes the pools of {@code connpool.pools.*}, one for each pool bean as it is created, and closes
 * them when the context closes.
 *
 * <p>Pool beans have no destroy method of their own: this bean closes them all at once, each with
 * its {@code shutdown-grace}, so that shutdown takes the longest grace period, not their sum. Spring
 * destroys it after the pool beans, which it creates, and so after every bean that uses a pool.
 */
final class ConfiguredConnPools implements DisposableBean {

    /** Its bean name, out of the way of application beans. */
    static final String BEAN_NAME = "dev.connpool.autoconfigure.ConfiguredConnPools";

    private static final Log logger = LogFactory.getLog(ConfiguredConnPools.class);

    /** Extra time, past the longest grace period, for a pool's threads to stop. */
    private static final long CLOSE_SLACK_NANOS = TimeUnit.SECONDS.toNanos(30);

    private final ConnPoolProperties properties;
    private final PoolSettings.PropertyLookup lookup;
    private final ObjectProvider<SslBundles> sslBundles;
    private final ObjectProvider<ConnPoolCustomizer> customizers;
    private final ObjectProvider<ConnPoolConnectionDetails> connectionDetails;

    /** The pools made so far, in order; guarded by itself. */
    private final Map<String, Made> made = new LinkedHashMap<>();

    ConfiguredConnPools(ConnPoolProperties properties, Environment environment,
            ObjectProvider<SslBundles> sslBundles, ObjectProvider<ConnPoolCustomizer> customizers,
            ObjectProvider<ConnPoolConnectionDetails> connectionDetails) {
        this.properties = properties;
        this.lookup = lookup(environment);
        this.sslBundles = sslBundles;
        this.customizers = customizers;
        this.connectionDetails = connectionDetails;
    }

    private static PoolSettings.PropertyLookup lookup(Environment environment) {
        Iterable<ConfigurationPropertySource> sources = ConfigurationPropertySources.get(environment);
        return name -> {
            ConfigurationPropertyName key = ConfigurationPropertyName.ofIfValid(name);
            if (key == null) {
                return null;
            }
            for (ConfigurationPropertySource source : sources) {
                var property = source.getConfigurationProperty(key);
                if (property != null) {
                    return property;
                }
            }
            return null;
        };
    }

    /**
     * Makes the pool {@code connpool.pools.<name>}: resolves and checks its settings, runs the
     * customizers, and opens its {@code min-size} connections. The factory method of every pool bean.
     *
     * @param name the pool's name
     * @return the open pool
     * @throws InvalidConnPoolPropertyException if a property breaks a rule
     * @throws ConnPoolOpenException if {@code min-size} connections cannot be opened and {@code fail-fast} is on
     */
    ConnPool create(String name) {
        PoolSettings settings = PoolSettings.resolve(name, properties, lookup, connectionDetails(name));
        TcpConnector.Builder connector = TcpConnector.builder(settings.host, settings.port)
                .connectTimeout(settings.connectTimeout);
        ReloadingTlsConnector tls = settings.sslBundle != null ? applyTls(name, settings, connector) : null;
        ConnPoolSpec spec = new ConnPoolSpec(name, settings.host, settings.port, settings.configBuilder(), connector,
                settings.shutdownGrace);
        customizers.orderedStream().forEach(c -> c.customize(name, spec));

        ConnPoolConfig config;
        ConnectionFactory factory;
        String target = null;
        try {
            config = spec.config().build();
            if (spec.connectionFactory() != null) {
                factory = spec.connectionFactory();
            } else if (tls != null) {
                target = tls.build().toString();
                factory = tls;
            } else {
                TcpConnector tcp = spec.connector().build();
                factory = tcp;
                target = tcp.toString();
            }
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("connection pool '" + name
                    + "': a ConnPoolCustomizer left it invalid: " + e.getMessage(), e);
        }
        ConnPool pool;
        boolean reloads = tls != null && factory == tls;
        int tlsGeneration = 0;
        if (reloads) {
            // from now on: an update that comes while the pool opens retires what it opened
            tlsGeneration = tls.generation();
            sslBundles.getObject().addBundleUpdateHandler(settings.sslBundle, tls::update);
        }
        try {
            pool = ConnPool.create(name, config, factory);
        } catch (IOException e) {
            throw new ConnPoolOpenException(name, target, e);
        }
        if (reloads) {
            tls.attach(pool, tlsGeneration);
        }
        synchronized (made) {
            made.put(name, new Made(pool, spec.shutdownGrace(), target));
        }
        if (logger.isDebugEnabled()) {
            logger.debug("Connection pool '" + name + "' opened" + (target != null ? " to " + target : "")
                    + ": " + pool.stats());
        }
        return pool;
    }

    /** The first connection details that know the pool, in order; null if none does. */
    private ConnPoolConnectionDetails.@Nullable Pool connectionDetails(String name) {
        return connectionDetails.orderedStream()
                .map(d -> d.details(name))
                .filter(Objects::nonNull)
                .findFirst()
                .orElse(null);
    }

    /**
     * Sets up TLS with the pool's bundle on the connector; the returned factory builds the connector
     * once the customizers are done, and again with the new material each time the bundle is updated.
     */
    private ReloadingTlsConnector applyTls(String name, PoolSettings settings, TcpConnector.Builder connector) {
        SslBundles bundles = sslBundles.getIfAvailable();
        if (bundles == null) {
            throw settings.invalid("ssl.bundle", p -> p.getSsl().getBundle(),
                    "needs Spring Boot's SSL bundles (spring.ssl.bundle.*), but there is no SslBundles bean");
        }
        SslBundle bundle;
        try {
            bundle = bundles.getBundle(settings.sslBundle);
        } catch (NoSuchSslBundleException e) {
            throw settings.invalid("ssl.bundle", p -> p.getSsl().getBundle(),
                    "must name an SSL bundle configured under spring.ssl.bundle (there are: "
                            + (bundles.getBundleNames().isEmpty() ? "none" : String.join(", ", bundles.getBundleNames()))
                            + ")");
        }
        connector.verifyHostname(settings.verifyHostname);
        if (settings.serverName != null) {
            connector.serverName(settings.serverName);
        }
        return new ReloadingTlsConnector(name, settings.sslBundle, bundle, connector);
    }

    /**
     * A pool's grace period for connections in use.
     *
     * @param name the pool's name
     * @return its {@code shutdown-grace} if it was made here, else the default one
     */
    Duration grace(String name) {
        synchronized (made) {
            Made m = made.get(name);
            return m != null ? m.grace : PoolSettings.DEFAULT_SHUTDOWN_GRACE;
        }
    }

    /**
     * Where each pool made here connects to.
     *
     * @return pool name to {@code tcp://host:port} or {@code tls://host:port}, for pools that kept
     *         the connector of their properties
     */
    Map<String, String> targets() {
        Map<String, String> targets = new LinkedHashMap<>();
        synchronized (made) {
            made.forEach((name, m) -> {
                if (m.target != null) {
                    targets.put(name, m.target);
                }
            });
        }
        return targets;
    }

    /**
     * Closes every pool made here, all at once, each waiting up to its grace period for connections
     * in use.
     */
    @Override
    public void destroy() {
        List<Map.Entry<String, Made>> pools;
        synchronized (made) {
            pools = new ArrayList<>(made.entrySet());
            made.clear();
        }
        if (pools.size() == 1) {
            close(pools.get(0).getKey(), pools.get(0).getValue());
            return;
        }
        Duration longest = Duration.ZERO;
        List<Thread> closers = new ArrayList<>(pools.size());
        for (Map.Entry<String, Made> e : pools) {
            Made m = e.getValue();
            longest = m.grace.compareTo(longest) > 0 ? m.grace : longest;
            Thread t = new Thread(() -> close(e.getKey(), m), "connpool-" + e.getKey() + "-close");
            t.setDaemon(true);
            t.start();
            closers.add(t);
        }
        long deadline = System.nanoTime() + longest.toNanos() + CLOSE_SLACK_NANOS;
        boolean interrupted = false;
        for (Thread t : closers) {
            long left = deadline - System.nanoTime();
            try {
                if (left > 0) {
                    TimeUnit.NANOSECONDS.timedJoin(t, left);
                }
            } catch (InterruptedException ex) {
                interrupted = true;
            }
            if (t.isAlive()) {
                logger.warn("Gave up waiting for " + t.getName() + " to close its pool");
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private static void close(String name, Made m) {
        try {
            if (!m.pool.close(m.grace)) {
                logger.warn("Connection pool '" + name + "': connections still in use " + m.grace.toMillis()
                        + " ms after shutdown began were closed under their users (shutdown-grace)");
            }
        } catch (RuntimeException e) {
            logger.warn("Connection pool '" + name + "' failed to close", e);
        }
    }

    private static final class Made {

        final ConnPool pool;
        final Duration grace;
        final @Nullable String target;

        Made(ConnPool pool, Duration grace, @Nullable String target) {
            this.pool = pool;
            this.grace = grace;
            this.target = target;
        }
    }
}
