package dev.connpool.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import dev.connpool.ConnPool;
import dev.connpool.PooledConnection;
import dev.connpool.testkit.EchoServer;
import dev.connpool.testkit.NoPoolThreads;
import dev.connpool.testkit.Ports;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;

/**
 * Where pools connect to when {@link ConnPoolConnectionDetails} beans say: they win over the
 * properties, the first that knows a pool decides, and a pool none knows takes its properties.
 */
@ExtendWith(NoPoolThreads.AfterProbes.class)
class ConnPoolConnectionDetailsTests {

    @RegisterExtension
    static final EchoServer server = new EchoServer();

    @RegisterExtension
    static final EchoServer other = new EchoServer();

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(ConnPoolAutoConfiguration.class));

    @Test
    void detailsOfTheApplicationWinOverTheProperties() throws Exception {
        int closed = Ports.closed();
        runner.withPropertyValues("connpool.pools.orders.host=nowhere.invalid", "connpool.pools.orders.port=" + closed,
                        "connpool.pools.orders.min-size=1",
                        "connpool.pools.users.host=127.0.0.1", "connpool.pools.users.port=" + other.port())
                .withBean(ConnPoolConnectionDetails.class, () -> ConnPoolConnectionDetails.of(
                        Map.of("orders", new ConnPoolConnectionDetails.Pool("127.0.0.1", server.port()))))
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    ConnPools pools = context.getBean(ConnPools.class);
                    assertThat(pools.target("orders")).contains("tcp://127.0.0.1:" + server.port());
                    assertThat(pools.target("users")).contains("tcp://127.0.0.1:" + other.port());
                    echoes(pools.get("orders"));
                    echoes(pools.get("users"));
                });
    }

    @Test
    void aPoolWithDetailsNeedsNoHostOrPortProperty() {
        runner.withPropertyValues("connpool.pools.orders.max-size=3")
                .withBean(ConnPoolConnectionDetails.class,
                        () -> name -> new ConnPoolConnectionDetails.Pool("127.0.0.1", server.port()))
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    echoes(context.getBean("orders", ConnPool.class));
                });
    }

    @Test
    void theFirstDetailsThatKnowAPoolDecide() {
        runner.withPropertyValues("connpool.pools.orders.max-size=3")
                .withBean("unknowing", ConnPoolConnectionDetails.class, () -> name -> null)
                .withUserConfiguration(OrderedDetails.class)
                .run(context -> assertThat(context.getBean(ConnPools.class).target("orders"))
                        .contains("tcp://127.0.0.1:" + server.port()));
    }

    @Test
    void detailsCheckTheirValues() {
        assertThatIllegalArgumentException().isThrownBy(() -> new ConnPoolConnectionDetails.Pool(" ", 1))
                .withMessageContaining("host");
        assertThatIllegalArgumentException().isThrownBy(() -> new ConnPoolConnectionDetails.Pool("h", 0))
                .withMessageContaining("port must be between 1 and 65535");
    }

    private static void echoes(ConnPool pool) throws IOException {
        try (PooledConnection conn = pool.get(Duration.ofSeconds(5))) {
            conn.getOutputStream().write('x');
            assertThat(conn.getInputStream().read()).isEqualTo('x');
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class OrderedDetails {

        @Bean
        @Order(1)
        ConnPoolConnectionDetails first() {
            return ConnPoolConnectionDetails.of(Map.of("orders", new ConnPoolConnectionDetails.Pool("127.0.0.1",
                    server.port())));
        }

        @Bean
        @Order(2)
        ConnPoolConnectionDetails second() {
            return ConnPoolConnectionDetails.of(Map.of("orders", new ConnPoolConnectionDetails.Pool("127.0.0.1",
                    other.port())));
        }
    }
}
