package dev.connpool.autoconfigure.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.connpool.ConnPool;
import dev.connpool.PooledConnection;
import dev.connpool.autoconfigure.ConnPoolAutoConfiguration;
import dev.connpool.autoconfigure.metrics.ConnPoolMetricsAutoConfiguration.ConnPoolMeterBinder;
import dev.connpool.testkit.EchoServer;
import dev.connpool.testkit.NoPoolThreads;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * The meters of every pool in the context's registry, in a real context against a loopback backend:
 * each pool measured under its own tag, the timers fed by the pool's own work, and no longer fed once
 * the binder is destroyed (as the context does when it closes, before the pools close).
 */
@ExtendWith(NoPoolThreads.AfterProbes.class)
class ConnPoolMetricsAutoConfigurationTests {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @RegisterExtension
    static final EchoServer server = new EchoServer();

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(ConnPoolAutoConfiguration.class,
                    ConnPoolMetricsAutoConfiguration.class, MetricsAutoConfiguration.class,
                    SimpleMetricsExportAutoConfiguration.class, CompositeMeterRegistryAutoConfiguration.class))
            .withPropertyValues("connpool.defaults.host=" + server.host(), "connpool.defaults.port=" + server.port(),
                    "connpool.pools.orders.min-size=2", "connpool.pools.orders.max-size=5",
                    "connpool.pools.users.max-size=3");

    @Test
    void everyPoolIsMeasuredUnderItsOwnName() {
        runner.run(context -> {
            MeterRegistry registry = context.getBean(MeterRegistry.class);
            assertThat(registry.get("connpool.connections").tag("pool", "orders").gauge().value()).isEqualTo(2.0);
            assertThat(registry.get("connpool.connections.max").tag("pool", "orders").gauge().value()).isEqualTo(5.0);
            assertThat(registry.get("connpool.connections").tag("pool", "users").gauge().value()).isZero();
            assertThat(registry.get("connpool.connections.max").tag("pool", "users").gauge().value()).isEqualTo(3.0);
        });
    }

    @Test
    void theTimersFollowThePoolUntilTheBinderIsDestroyed() {
        runner.run(context -> {
            MeterRegistry registry = context.getBean(MeterRegistry.class);
            ConnPool orders = context.getBean("orders", ConnPool.class);
            try (PooledConnection lease = orders.get(WAIT)) {
                assertThat(registry.get("connpool.connections.active").tag("pool", "orders").gauge().value())
                        .isEqualTo(1.0);
            }
            assertThat(registry.get("connpool.connections.acquire").tag("pool", "orders").timer().count()).isEqualTo(1);
            assertThat(registry.get("connpool.connections.usage").tag("pool", "orders").timer().count()).isEqualTo(1);

            // what the context does when it closes: the pools stop feeding the timers
            context.getBean(ConnPoolMeterBinder.class).destroy();
            orders.get(WAIT).close();
            assertThat(registry.get("connpool.connections.acquire").tag("pool", "orders").timer().count())
                    .as("no longer fed").isEqualTo(1);
            assertThat(registry.get("connpool.connections.usage").tag("pool", "orders").timer().count()).isEqualTo(1);
        });
    }
}
