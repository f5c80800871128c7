package dev.connpool.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.connpool.testkit.TestServer;
import java.time.Duration;
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
                        assertThat(user.user.events).containsExactly("start: echoed", "stop: echoed", "start: echoed");
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

    /** The default-phase pool user of {@link ConnPoolLifecycleTests}, as a plain {@code Lifecycle} (phase 0). */
    static final class PlainUser implements Lifecycle {

        final ConnPoolLifecycleTests.CheckpointRestore.PoolUserLifecycle user;

        PlainUser(ObjectProvider<ConnPools> pools) {
            this.user = new ConnPoolLifecycleTests.CheckpointRestore.PoolUserLifecycle(pools);
        }

        @Override
        public void start() {
            user.start();
        }

        @Override
        public void stop() {
            user.stop();
        }

        @Override
        public boolean isRunning() {
            return user.isRunning();
        }
    }
}
