package dev.connpool.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.connpool.ConnPool;
import dev.connpool.ConnPoolConfig;
import dev.connpool.ConnectionFactory;
import dev.connpool.testkit.EchoServer;
import dev.connpool.testkit.NoPoolThreads;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;

/**
 * A pool named like another bean: a {@link ConnPool} bean of the application replaces the configured
 * pool; any other bean of that name, whoever registers it and whenever, stops startup with a failure
 * analysis naming the pool's property, the other bean and what to rename. Run as users run it, by a
 * {@link SpringApplication}, so that the analysis printed is the one they would read.
 */
@ExtendWith({ NoPoolThreads.AfterProbes.class, OutputCaptureExtension.class })
class PoolNameClashTests {

    @RegisterExtension
    static final EchoServer server = new EchoServer();

    private static ConfigurableApplicationContext run(Class<?> app) {
        SpringApplication application = new SpringApplication(app);
        application.setWebApplicationType(WebApplicationType.NONE);
        application.setDefaultProperties(Map.of("connpool.pools.orders.host", server.host(),
                "connpool.pools.orders.port", server.port(), "connpool.pools.users.host", server.host(),
                "connpool.pools.users.port", server.port()));
        return application.run();
    }

    @Test
    void aServiceNamedLikeAPoolStopsStartupNamingBoth(CapturedOutput output) {
        assertThatThrownBy(() -> run(AppWithOrdersService.class).close())
                .isInstanceOfSatisfying(ConnPoolNameClashException.class, e -> {
                    assertThat(e.getPoolName()).isEqualTo("orders");
                    assertThat(e.getBeanType()).isEqualTo(OrdersService.class.getName());
                    assertThat(e.getBeanSource()).contains(AppWithOrdersService.class.getSimpleName());
                    assertThat(e.isReservedByContext()).isFalse();
                    assertThat(e.getMessage()).isEqualTo("connpool.pools.orders needs the bean name 'orders', but bean "
                            + "'orders' of type " + OrdersService.class.getName() + " defined in " + e.getBeanSource()
                            + " has it already");
                });
        assertThat(output).contains("APPLICATION FAILED TO START")
                .contains("connpool.pools.orders")
                .contains("bean 'orders'")
                .contains(OrdersService.class.getName())
                .contains("Rename");
    }

    /**
     * The context makes these beans after the post-processors ran (when the application has none): a
     * pool of that name is stopped before it opens a connection, with the analysis, not with a
     * {@code BeanNotOfRequiredTypeException} from the refresh.
     */
    @ParameterizedTest
    @CsvSource({ "messageSource, org.springframework.context.MessageSource",
            "applicationEventMulticaster, org.springframework.context.event.ApplicationEventMulticaster",
            "lifecycleProcessor, org.springframework.context.LifecycleProcessor" })
    void aPoolNamedLikeABeanOfTheContextItselfStopsStartupWithTheAnalysis(String name, String type,
            CapturedOutput output) {
        SpringApplication application = new SpringApplication(PlainApp.class);
        application.setWebApplicationType(WebApplicationType.NONE);
        application.setDefaultProperties(Map.of("connpool.pools." + name + ".host", server.host(),
                "connpool.pools." + name + ".port", server.port(), "connpool.pools." + name + ".min-size", 1));
        assertThatThrownBy(() -> application.run().close())
                .isInstanceOfSatisfying(ConnPoolNameClashException.class, e -> {
                    assertThat(e.isReservedByContext()).isTrue();
                    assertThat(e.getPoolName()).isEqualTo(name);
                    assertThat(e.getBeanType()).isEqualTo(type);
                    assertThat(e.getBeanSource()).isEqualTo("the application context, which reserves it for its "
                            + type.substring(type.lastIndexOf('.') + 1));
                });
        assertThat(output).contains("APPLICATION FAILED TO START")
                .contains("connpool.pools." + name)
                .contains("bean '" + name + "'")
                .contains(type)
                .contains("Rename the pool")
                .doesNotContain("BeanNotOfRequiredTypeException")
                .doesNotContain("declare bean");
    }

    @Test
    void aBeanOfALaterAutoConfigurationNamedLikeAPoolStopsStartupNamingBoth(CapturedOutput output) {
        assertThatThrownBy(() -> run(AppWithLaterAutoConfiguration.class).close())
                .isInstanceOf(ConnPoolNameClashException.class);
        assertThat(output).contains("APPLICATION FAILED TO START")
                .contains("connpool.pools.orders")
                .contains("bean 'orders'")
                .contains(OrdersService.class.getName())
                .contains("Rename")
                .doesNotContain("BeanDefinitionOverrideException");
    }

    @Test
    void aConnPoolOfTheApplicationReplacesTheConfiguredOneAndIsInjectedByQualifier() {
        try (ConfigurableApplicationContext context = run(AppWithOwnOrdersPool.class)) {
            ConnPool orders = context.getBean(NeedsOrders.class).pool;
            assertThat(orders.name()).isEqualTo("own");
            assertThat(context.getBean(ConnPools.class).get("orders")).isSameAs(orders);
            assertThat(context.getBean(ConnPools.class).get("users").name()).isEqualTo("users");
        }
    }

    /** Any application bean that is not a pool. */
    static class OrdersService {
    }

    static class NeedsOrders {

        final ConnPool pool;

        NeedsOrders(ConnPool pool) {
            this.pool = pool;
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ImportAutoConfiguration(ConnPoolAutoConfiguration.class)
    static class PlainApp {
    }

    @Configuration(proxyBeanMethods = false)
    @ImportAutoConfiguration(ConnPoolAutoConfiguration.class)
    static class AppWithOrdersService {

        @Bean("orders")
        OrdersService ordersService() {
            return new OrdersService();
        }
    }

    @AutoConfiguration(after = ConnPoolAutoConfiguration.class)
    static class LaterAutoConfiguration {

        @Bean("orders")
        OrdersService ordersService() {
            return new OrdersService();
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ImportAutoConfiguration({ ConnPoolAutoConfiguration.class, LaterAutoConfiguration.class })
    static class AppWithLaterAutoConfiguration {
    }

    @Configuration(proxyBeanMethods = false)
    @ImportAutoConfiguration(ConnPoolAutoConfiguration.class)
    @Import(OwnPool.class)
    static class AppWithOwnOrdersPool {

        @Bean
        NeedsOrders needsOrders(@Qualifier("orders") ConnPool orders) {
            return new NeedsOrders(orders);
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class OwnPool {

        @Bean(name = "orders", destroyMethod = "close")
        ConnPool orders() throws IOException {
            return ConnPool.create("own", ConnPoolConfig.builder().maxSize(1).build(),
                    ConnectionFactory.tcp(server.host(), server.port(), Duration.ofSeconds(2)));
        }
    }
}
