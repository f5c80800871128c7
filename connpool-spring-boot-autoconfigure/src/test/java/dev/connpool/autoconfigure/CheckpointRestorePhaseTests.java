package dev.connpool.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.connpool.PooledConnection;

import dev.connpool.testkit.TestServer;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.Lifecycle;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * A plain {@code Lifecycle} bean (phase 0) that uses a pool in its start() and stop() finds it
 * working both times: the CRaC lifecycle stops after it and starts before it (found by the review of
 * issue 12, when the pools' phase was above 0).
 */
class CheckpointRestorePhaseTests {

    @Test
    void aPlainLifecycleBeanUsingAPoolStopsAfterItAndStartsBeforeIt() throws Exception {
        try (TestServer server = TestServer.echo()) {
            new ApplicationContextRunner()
                    .withConfiguration(AutoConfigurations.of(ConnPoolAutoConfiguration.class))
                    .withPropertyValues("connpool.defaults.host=" + server.host(),
                            "connpool.defaults.port=" + server.port(), "connpool.pools.orders.min-size=1")
                    .withUserConfiguration(PoolUser.class)
                    .run(context -> {
                        server.awaitOpen(1, Duration.ofSeconds(10));
                        PlainUser user = context.getBean(PlainUser.class);
                        context.start();
                        context.stop();
                        context.start();
                        
                        assertThat(user.events).containsExactly("start: echoed", "stop: echoed", "start: echoed");
                    });
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class PoolUser {
        @Bean
        PlainUser plainUser(ObjectProvider<ConnPools> pools) {
            return new PlainUser(pools);
        }
    }

    static final class PlainUser implements Lifecycle {
        final List<String> events = new CopyOnWriteArrayList<>();
        private final ObjectProvider<ConnPools> pools;
        private volatile boolean running;

        PlainUser(ObjectProvider<ConnPools> pools) {
            this.pools = pools;
        }

        @Override
        public void start() {
            events.add("start: " + echo());
            running = true;
        }

        @Override
        public void stop() {
            events.add("stop: " + echo());
            running = false;
        }

        private String echo() {
            try (PooledConnection c = pools.getObject().get("orders").get(Duration.ofSeconds(2))) {
                c.getOutputStream().write('e');
                return c.getInputStream().read() == 'e' ? "echoed" : "wrong byte";
            } catch (IOException e) {
                return e.getClass().getSimpleName();
            }
        }

        @Override
        public boolean isRunning() {
            return running;
        }
    }
}
