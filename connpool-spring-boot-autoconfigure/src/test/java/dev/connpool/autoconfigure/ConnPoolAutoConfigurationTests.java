package dev.connpool.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.connpool.ConnPool;
import dev.connpool.ConnPoolConfig;
import dev.connpool.ConnectionFactory;
import dev.connpool.HealthCheck;
import dev.connpool.PooledConnection;
import dev.connpool.testkit.EchoServer;
import dev.connpool.testkit.NoPoolThreads;
import java.io.IOException;
import java.time.Duration;
import java.util.NoSuchElementException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;

/**
 * Pools from properties: beans named after them, defaults, built-in defaults, customizers, user
 * beans that win, and {@code connpool.enabled=false}. Real contexts against a real loopback server.
 */
@ExtendWith(NoPoolThreads.AfterProbes.class)
class ConnPoolAutoConfigurationTests {

    @RegisterExtension
    static final EchoServer server = new EchoServer();

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(ConnPoolAutoConfiguration.class));

    private String[] pool(String name, String... more) {
        String[] props = new String[more.length + 2];
        props[0] = "connpool.pools." + name + ".host=" + server.host();
        props[1] = "connpool.pools." + name + ".port=" + server.port();
        for (int i = 0; i < more.length; i++) {
            props[i + 2] = "connpool.pools." + name + "." + more[i];
        }
        return props;
    }

    @Test
    void eachPoolIsABeanNamedAfterIt() {
        runner.withPropertyValues(pool("orders", "min-size=2"))
                .withPropertyValues(pool("users"))
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context.getBeansOfType(ConnPool.class)).containsOnlyKeys("orders", "users");
                    ConnPool orders = context.getBean("orders", ConnPool.class);
                    assertThat(orders.name()).isEqualTo("orders");
                    assertThat(orders.stats().size()).isEqualTo(2);
                    assertThat(context.getBean("users", ConnPool.class).name()).isEqualTo("users");
                    try (PooledConnection conn = orders.get(Duration.ofSeconds(5))) {
                        conn.getOutputStream().write('x');
                        assertThat(conn.getInputStream().read()).isEqualTo('x');
                    }
                });
    }

    @Test
    void connPoolsListsAndFindsEveryPool() {
        runner.withPropertyValues(pool("orders"))
                .withPropertyValues(pool("users"))
                .run(context -> {
                    ConnPools pools = context.getBean(ConnPools.class);
                    assertThat(pools.names()).containsExactly("orders", "users");
                    assertThat(pools.size()).isEqualTo(2);
                    assertThat(pools).containsExactly(context.getBean("orders", ConnPool.class),
                            context.getBean("users", ConnPool.class));
                    assertThat(pools.find("orders")).containsSame(context.getBean("orders", ConnPool.class));
                    assertThat(pools.find("nope")).isEmpty();
                    assertThat(pools.get("users")).isSameAs(context.getBean("users", ConnPool.class));
                    assertThatThrownBy(() -> pools.get("nope")).isInstanceOf(NoSuchElementException.class)
                            .hasMessageContaining("nope").hasMessageContaining("[orders, users]");
                    assertThat(pools.target("orders")).contains("tcp://127.0.0.1:" + server.port());
                    assertThat(pools.asMap()).containsOnlyKeys("orders", "users");
                });
    }

    @Test
    void poolIsInjectedByQualifier() {
        runner.withPropertyValues(pool("orders"))
                .withPropertyValues(pool("users"))
                .withUserConfiguration(NeedsOrders.class)
                .run(context -> assertThat(context.getBean(NeedsOrders.class).pool.name()).isEqualTo("orders"));
    }

    @Test
    void poolsInheritDefaultsAndTheirOwnValuesWin() {
        runner.withPropertyValues("connpool.defaults.max-size=7", "connpool.defaults.idle-timeout=30s",
                        "connpool.defaults.health-check.type=none")
                .withPropertyValues(pool("orders", "max-size=3", "max-lifetime=5m", "evict-interval=250ms"))
                .withPropertyValues(pool("users", "acquire-timeout=2s", "max-waiters=50", "increment=2",
                        "min-size=1", "fail-fast=false"))
                .run(context -> {
                    ConnPoolConfig orders = context.getBean("orders", ConnPool.class).config();
                    assertThat(orders.maxSize()).isEqualTo(3);
                    assertThat(orders.idleTimeout()).isEqualTo(Duration.ofSeconds(30));
                    assertThat(orders.maxLifetime()).isEqualTo(Duration.ofMinutes(5));
                    assertThat(orders.evictInterval()).isEqualTo(Duration.ofMillis(250));
                    assertThat(orders.healthCheck()).isSameAs(HealthCheck.none());
                    ConnPoolConfig users = context.getBean("users", ConnPool.class).config();
                    assertThat(users.maxSize()).isEqualTo(7);
                    assertThat(users.idleTimeout()).isEqualTo(Duration.ofSeconds(30));
                    assertThat(users.acquireTimeout()).isEqualTo(Duration.ofSeconds(2));
                    assertThat(users.maxWaiters()).isEqualTo(50);
                    assertThat(users.increment()).isEqualTo(2);
                    assertThat(users.minSize()).isEqualTo(1);
                    assertThat(users.failFast()).isFalse();
                });
    }

    @Test
    void hostAndPortCanComeFromTheDefaults() {
        runner.withPropertyValues("connpool.defaults.host=" + server.host(), "connpool.defaults.port=" + server.port(),
                        "connpool.pools.orders.min-size=1")
                .run(context -> assertThat(context.getBean("orders", ConnPool.class).stats().size()).isEqualTo(1));
    }

    @Test
    void unsetValuesTakeTheBuiltInDefaults() {
        runner.withPropertyValues(pool("orders")).run(context -> {
            ConnPoolConfig c = context.getBean("orders", ConnPool.class).config();
            assertThat(c.minSize()).isZero();
            assertThat(c.maxSize()).isEqualTo(10);
            assertThat(c.increment()).isEqualTo(1);
            assertThat(c.idleTimeout()).isZero();
            assertThat(c.maxLifetime()).isZero();
            assertThat(c.evictInterval()).isEqualTo(Duration.ofSeconds(30));
            assertThat(c.acquireTimeout()).isEqualTo(Duration.ofSeconds(30));
            assertThat(c.maxWaiters()).isEqualTo(ConnPoolConfig.UNBOUNDED_WAITERS);
            assertThat(c.healthCheck()).isSameAs(HealthCheck.liveness());
            assertThat(c.healthCheckAfterIdle()).isZero();
            assertThat(c.failFast()).isTrue();
            assertThat(c.leakDetectionThreshold()).isZero();
            assertThat(c.maxConnectBackoff()).isEqualTo(Duration.ofSeconds(10));
        });
    }

    @Test
    void healthCheckAfterIdleIsBoundFromThePoolOrTheDefaults() {
        runner.withPropertyValues("connpool.defaults.health-check.after-idle=2s")
                .withPropertyValues(pool("orders", "health-check.after-idle=500ms"))
                .withPropertyValues(pool("users"))
                .run(context -> {
                    assertThat(context.getBean("orders", ConnPool.class).config().healthCheckAfterIdle())
                            .isEqualTo(Duration.ofMillis(500));
                    assertThat(context.getBean("users", ConnPool.class).config().healthCheckAfterIdle())
                            .isEqualTo(Duration.ofSeconds(2));
                });
    }

    @Test
    void leakDetectionAndConnectBackoffAreBoundFromThePoolOrTheDefaults() {
        runner.withPropertyValues("connpool.defaults.leak-detection-threshold=30s",
                        "connpool.defaults.max-connect-backoff=2s")
                .withPropertyValues(pool("orders", "leak-detection-threshold=250ms", "max-connect-backoff=0"))
                .withPropertyValues(pool("users"))
                .run(context -> {
                    ConnPoolConfig orders = context.getBean("orders", ConnPool.class).config();
                    assertThat(orders.leakDetectionThreshold()).isEqualTo(Duration.ofMillis(250));
                    assertThat(orders.maxConnectBackoff()).isZero();
                    ConnPoolConfig users = context.getBean("users", ConnPool.class).config();
                    assertThat(users.leakDetectionThreshold()).isEqualTo(Duration.ofSeconds(30));
                    assertThat(users.maxConnectBackoff()).isEqualTo(Duration.ofSeconds(2));
                });
    }

    /**
     * The request as the server gets it: Java escapes translated (a single-quoted YAML string or an
     * environment variable delivers the backslashes), then sent as UTF-8 (é is C3 A9, two bytes; one
     * in ISO-8859-1), as the README's property table says.
     */
    static Stream<Arguments> requests() {
        return Stream.of(Arguments.of("PING\\r\\n", "PING\\r\\n", 6),
                Arguments.of("PING \u00e9\\r\\n", "PING \u00e9", 9));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("requests")
    void requestResponseCheckSendsItsRequestEscapesTranslatedAsUtf8(String request, String expect, int bytes) {
        runner.withPropertyValues(pool("orders", "min-size=1", "evict-interval=0",
                        "health-check.type=request-response", "health-check.request=" + request,
                        "health-check.expect=" + expect, "health-check.timeout=2s"))
                .run(context -> {
                    ConnPool pool = context.getBean("orders", ConnPool.class);
                    server.awaitOpen(1, Duration.ofSeconds(5));
                    long before = server.bytesIn();
                    // the idle connection is checked before it is lent: the request out, echoed back
                    try (PooledConnection conn = pool.get(Duration.ofSeconds(5))) {
                        assertThat(pool.stats().created()).as("the idle one passed its check").isEqualTo(1);
                    }
                    assertThat(server.bytesIn() - before).isEqualTo(bytes);
                    assertThat(pool.stats().pingFailed()).isZero();
                });
    }

    @Test
    void requestResponseCheckFailsOnAWrongReply() {
        runner.withPropertyValues(pool("orders", "min-size=1", "evict-interval=0",
                        "health-check.type=REQUEST_RESPONSE", "health-check.request=PING\r\n",
                        "health-check.expect=+PONG", "health-check.timeout=2s"))
                .run(context -> {
                    ConnPool pool = context.getBean("orders", ConnPool.class);
                    // the echo answers PING, not +PONG: the idle one fails its check, a new one is opened
                    try (PooledConnection conn = pool.get(Duration.ofSeconds(5))) {
                        assertThat(pool.stats().created()).isEqualTo(2);
                    }
                    assertThat(pool.stats().pingFailed()).isEqualTo(1);
                });
    }

    @Test
    void customizersChangeConfigAndHealthCheckOfThePoolsTheyChoose() {
        runner.withPropertyValues(pool("orders", "max-size=20"))
                .withPropertyValues(pool("users", "max-size=20"))
                .withUserConfiguration(Customizers.class)
                .run(context -> {
                    // both customizers ran on orders, in @Order and not in the order they were
                    // declared: the second one saw the first one's value (in the other order: 2)
                    ConnPoolConfig orders = context.getBean("orders", ConnPool.class).config();
                    assertThat(orders.maxSize()).isEqualTo(3);
                    assertThat(orders.healthCheck()).isSameAs(HealthCheck.none());
                    // only the one for every pool ran on users
                    ConnPoolConfig users = context.getBean("users", ConnPool.class).config();
                    assertThat(users.maxSize()).isEqualTo(21);
                    assertThat(users.healthCheck()).isSameAs(HealthCheck.liveness());
                });
    }

    @Test
    void customizerCanReplaceTheConnectionFactory() {
        runner.withPropertyValues(pool("orders", "min-size=2"))
                .withUserConfiguration(CountingFactory.class)
                .run(context -> {
                    assertThat(context.getBean(CountingFactory.class).connects.get()).isEqualTo(2);
                    assertThat(context.getBean(ConnPools.class).target("orders")).isEmpty();
                });
    }

    @Test
    void customizerCanAdjustTheConnector() {
        runner.withPropertyValues(pool("orders", "min-size=1"))
                .withBean(ConnPoolCustomizer.class, () -> (name, spec) -> spec.connector().keepAlive(false))
                .run(context -> {
                    ConnPool pool = context.getBean("orders", ConnPool.class);
                    try (PooledConnection conn = pool.get(Duration.ofSeconds(5))) {
                        assertThat(conn.socket().getKeepAlive()).isFalse();
                    }
                });
    }

    @Test
    void customizerThatBreaksARuleFailsStartupNamingThePool() {
        runner.withPropertyValues(pool("orders"))
                .withBean(ConnPoolCustomizer.class, () -> (name, spec) -> spec.config().maxSize(0))
                .run(context -> {
                    assertThat(context).getFailure().rootCause()
                            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxSize");
                    assertThat(context).getFailure()
                            .hasStackTraceContaining("connection pool 'orders': a ConnPoolCustomizer left it invalid");
                });
    }

    @Test
    void aBeanOfTheSameNameWins() throws Exception {
        int acceptedBefore = server.accepted();
        runner.withPropertyValues(pool("orders", "min-size=3"))
                .withPropertyValues(pool("users"))
                .withUserConfiguration(OwnOrders.class)
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    ConnPool orders = context.getBean("orders", ConnPool.class);
                    assertThat(orders.name()).isEqualTo("own");
                    assertThat(context.getBean(ConnPools.class).find("orders")).containsSame(orders);
                    assertThat(context.getBean(ConnPools.class).names()).containsExactlyInAnyOrder("orders", "users");
                    // the min-size 3 of the properties never connected
                    assertThat(server.accepted() - acceptedBefore).isZero();
                });
    }

    @Test
    void aConnPoolsBeanOfTheApplicationWins() {
        runner.withPropertyValues(pool("orders"))
                .withBean("myPools", ConnPools.class, () -> new ConnPools(java.util.Map.of()))
                .run(context -> {
                    assertThat(context).hasSingleBean(ConnPools.class);
                    assertThat(context.getBean(ConnPools.class).names()).isEmpty();
                    assertThat(context).hasBean("orders");
                });
    }

    @Test
    void disabledCreatesNothing() {
        runner.withPropertyValues(pool("orders", "min-size=1"))
                .withPropertyValues("connpool.enabled=false")
                .run(context -> {
                    assertThat(context).doesNotHaveBean(ConnPool.class);
                    assertThat(context).doesNotHaveBean(ConnPools.class);
                    assertThat(context).doesNotHaveBean(ConfiguredConnPools.class);
                    assertThat(context).doesNotHaveBean(ConnPoolProperties.class);
                });
    }

    @Test
    void noPoolsMeansAnEmptyConnPools() {
        runner.run(context -> assertThat(context.getBean(ConnPools.class).names()).isEmpty());
    }

    @Configuration(proxyBeanMethods = false)
    static class NeedsOrders {

        final ConnPool pool;

        NeedsOrders(@Qualifier("orders") ConnPool pool) {
            this.pool = pool;
        }
    }

    /** Declared in the reverse of their {@code @Order}: the order they run in is the {@code @Order}. */
    @Configuration(proxyBeanMethods = false)
    static class Customizers {

        @Bean
        @Order(2)
        ConnPoolCustomizer everyPool() {
            return (name, spec) -> {
                ConnPoolConfig current = spec.config().build();
                spec.config().maxSize(current.maxSize() + 1);
            };
        }

        @Bean
        @Order(1)
        ConnPoolCustomizer ordersOnly() {
            return ConnPoolCustomizer.forPool("orders", spec -> spec.healthCheck(HealthCheck.none())
                    .config().maxSize(2));
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class CountingFactory {

        final AtomicInteger connects = new AtomicInteger();

        @Bean
        ConnPoolCustomizer countingFactory() {
            return (name, spec) -> {
                ConnectionFactory tcp = spec.connector().build();
                spec.connectionFactory(() -> {
                    connects.incrementAndGet();
                    return tcp.create();
                });
            };
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class OwnOrders {

        @Bean(destroyMethod = "close")
        ConnPool orders() throws IOException {
            return ConnPool.create("own", ConnPoolConfig.builder().maxSize(1).build(),
                    ConnectionFactory.tcp(server.host(), server.port(), Duration.ofSeconds(5)));
        }
    }
}
