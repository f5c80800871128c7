package dev.connpool.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.connpool.ConnPool;
import dev.connpool.autoconfigure.endpoint.ConnPoolsEndpoint;
import dev.connpool.autoconfigure.endpoint.ConnPoolsEndpointAutoConfiguration;
import dev.connpool.autoconfigure.endpoint.ConnPoolsEndpointWebExtension;
import dev.connpool.autoconfigure.health.ConnPoolHealthContributorAutoConfiguration;
import dev.connpool.autoconfigure.health.ConnPoolHealthIndicator;
import dev.connpool.autoconfigure.metrics.ConnPoolMetricsAutoConfiguration;
import dev.connpool.autoconfigure.metrics.ConnPoolMetricsAutoConfiguration.ConnPoolMeterBinder;
import dev.connpool.testkit.EchoServer;
import dev.connpool.testkit.NoPoolThreads;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.health.contributor.CompositeHealthContributor;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthContributor;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;

/**
 * When each auto-configuration applies: class path, properties, beans of the application.
 */
@ExtendWith(NoPoolThreads.AfterProbes.class)
class AutoConfigurationConditionsTests {

    @RegisterExtension
    static final EchoServer server = new EchoServer();

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(ConnPoolAutoConfiguration.class,
                    ConnPoolHealthContributorAutoConfiguration.class, ConnPoolsEndpointAutoConfiguration.class,
                    ConnPoolMetricsAutoConfiguration.class, MetricsAutoConfiguration.class,
                    SimpleMetricsExportAutoConfiguration.class, CompositeMeterRegistryAutoConfiguration.class))
            .withPropertyValues("management.endpoints.web.exposure.include=connpools");

    private ApplicationContextRunner withPool() {
        return runner.withPropertyValues("connpool.pools.orders.host=" + server.host(),
                "connpool.pools.orders.port=" + server.port(), "connpool.pools.orders.min-size=1");
    }

    @Test
    void everythingAppliesWithActuatorAndMicrometer() {
        withPool().run(context -> {
            assertThat(context).hasSingleBean(ConnPoolsEndpoint.class);
            assertThat(context).hasSingleBean(ConnPoolsEndpointWebExtension.class);
            assertThat(context).hasSingleBean(ConnPoolMeterBinder.class);
            CompositeHealthContributor health = context.getBean("connpoolHealthContributor",
                    CompositeHealthContributor.class);
            assertThat(health.getContributor("orders")).isInstanceOf(ConnPoolHealthIndicator.class);
            assertThat(((HealthIndicator) health.getContributor("orders")).health().getStatus()).isEqualTo(Status.UP);
            MeterRegistry registry = context.getBean(MeterRegistry.class);
            assertThat(registry.get("connpool.connections").tag("pool", "orders").gauge().value()).isEqualTo(1.0);
            assertThat(registry.get("connpool.connections.closed").tag("pool", "orders").tag("reason", "idle")
                    .functionCounter().count()).isZero();
        });
    }

    @Test
    void withoutActuatorThereIsNoEndpointAndNoHealthButThePools() {
        withPool().withClassLoader(new FilteredClassLoader("org.springframework.boot.actuate.",
                        "org.springframework.boot.health."))
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context).hasBean("orders");
                    assertThat(context).doesNotHaveBean(ConnPoolsEndpoint.class);
                    assertThat(context).doesNotHaveBean(HealthContributor.class);
                    assertThat(context).doesNotHaveBean("connpoolHealthContributor");
                    assertThat(context).hasSingleBean(ConnPoolMeterBinder.class);
                });
    }

    @Test
    void withoutMicrometerThereAreNoMeters() {
        // without Micrometer, Boot's metrics auto-configurations are not there either
        new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(ConnPoolAutoConfiguration.class,
                        ConnPoolHealthContributorAutoConfiguration.class, ConnPoolsEndpointAutoConfiguration.class,
                        ConnPoolMetricsAutoConfiguration.class))
                .withPropertyValues("management.endpoints.web.exposure.include=connpools",
                        "connpool.pools.orders.host=" + server.host(), "connpool.pools.orders.port=" + server.port())
                .withClassLoader(new FilteredClassLoader("io.micrometer."))
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context).hasBean("orders");
                    assertThat(context).doesNotHaveBean(ConnPoolMeterBinder.class);
                    assertThat(context).hasSingleBean(ConnPoolsEndpoint.class);
                });
    }

    @Test
    void healthIndicatorCanBeDisabled() {
        withPool().withPropertyValues("management.health.connpool.enabled=false").run(context -> {
            assertThat(context).hasBean("orders");
            assertThat(context).doesNotHaveBean("connpoolHealthContributor");
            assertThat(context).hasSingleBean(ConnPoolsEndpoint.class);
        });
        withPool().withPropertyValues("management.health.defaults.enabled=false")
                .run(context -> assertThat(context).doesNotHaveBean("connpoolHealthContributor"));
    }

    @Test
    void endpointNeedsToBeExposed() {
        withPool().withPropertyValues("management.endpoints.web.exposure.include=health")
                .run(context -> {
                    assertThat(context).doesNotHaveBean(ConnPoolsEndpoint.class);
                    assertThat(context).hasBean("connpoolHealthContributor");
                });
    }

    @Test
    void withoutPoolsHealthAndMetersHaveNothingToReport() {
        // the beans are there all the same: whether there are pools is known only at refresh (AOT)
        runner.run(context -> {
            assertThat(context).hasSingleBean(ConnPools.class);
            assertThat(context.getBean("connpoolHealthContributor", CompositeHealthContributor.class).stream())
                    .isEmpty();
            assertThat(context).hasSingleBean(ConnPoolMeterBinder.class);
            assertThat(context.getBean(MeterRegistry.class).find("connpool.connections").meters()).isEmpty();
            assertThat(context).hasSingleBean(ConnPoolsEndpoint.class);
        });
    }

    @Test
    void disabledTurnsEverythingOff() {
        withPool().withPropertyValues("connpool.enabled=false").run(context -> {
            assertThat(context).doesNotHaveBean(ConnPool.class);
            assertThat(context).doesNotHaveBean(ConnPools.class);
            assertThat(context).doesNotHaveBean(ConnPoolsEndpoint.class);
            assertThat(context).doesNotHaveBean("connpoolHealthContributor");
            assertThat(context).doesNotHaveBean(ConnPoolMeterBinder.class);
        });
    }

    @Test
    void backsOffFromTheApplicationsOwnBeans() {
        HealthIndicator own = () -> Health.up().withDetail("own", true).build();
        withPool().withBean("connpoolHealthContributor", HealthIndicator.class, () -> own)
                .withBean("myEndpoint", ConnPoolsEndpoint.class, () -> new ConnPoolsEndpoint(new ConnPools(Map.of())))
                .withBean("myBinder", ConnPoolMeterBinder.class, () -> new ConnPoolMeterBinder(new ConnPools(Map.of())))
                .run(context -> {
                    assertThat(context.getBean("connpoolHealthContributor")).isSameAs(own);
                    assertThat(context).getBeanNames(ConnPoolsEndpoint.class).containsExactly("myEndpoint");
                    assertThat(context).getBeanNames(ConnPoolMeterBinder.class).containsExactly("myBinder");
                });
    }

    /**
     * Pools are registered after conditions are evaluated (which keeps them right in an AOT-processed
     * application), so a downstream auto-configuration conditions on the {@link ConnPools} bean, or on
     * a pool's properties, never on {@code ConnPool} beans (README, Spring section).
     */
    @Test
    void aDownstreamAutoConfigurationConditionsOnConnPoolsOrOnAPoolsProperties() {
        withPool().withConfiguration(AutoConfigurations.of(DownstreamAutoConfiguration.class)).run(context -> {
            assertThat(context).hasNotFailed().hasBean("orders");
            assertThat(context).hasBean("onConnPools").hasBean("onOrdersProperties");
            assertThat(context.getBean(UsesPools.class).pools().find("orders")).isPresent();
            // the documented limitation: no ConnPool bean is defined yet when conditions are evaluated
            assertThat(context).doesNotHaveBean("onConnPoolBeans");
        });
    }

    @Test
    void withoutThePoolOnlyTheConnPoolsConditionMatches() {
        runner.withConfiguration(AutoConfigurations.of(DownstreamAutoConfiguration.class)).run(context -> {
            assertThat(context).hasNotFailed().hasBean("onConnPools");
            assertThat(context).doesNotHaveBean("onOrdersProperties");
            assertThat(context.getBean(UsesPools.class).pools().find("orders")).isEmpty();
        });
    }

    record UsesPools(ConnPools pools) {
    }

    @AutoConfiguration(after = ConnPoolAutoConfiguration.class)
    static class DownstreamAutoConfiguration {

        @Bean
        @ConditionalOnBean(ConnPools.class)
        UsesPools onConnPools(ConnPools pools) {
            return new UsesPools(pools);
        }

        @Bean
        @ConditionalOnProperty(prefix = "connpool.pools.orders", name = "host")
        String onOrdersProperties() {
            return "orders";
        }

        @Bean
        @ConditionalOnBean(ConnPool.class)
        Integer onConnPoolBeans() {
            return 1;
        }
    }
}
