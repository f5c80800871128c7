package dev.connpool.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.connpool.ConnPool;
import dev.connpool.PooledConnection;
import dev.connpool.testkit.Await;
import dev.connpool.testkit.TestServer;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Checkpoint/restore without a CRaC JDK: with {@code org.crac} on the class path, the context's
 * {@code stop()} (what Spring calls before a checkpoint) leaves no socket open, counted on the server
 * side, and no pool thread running; its {@code start()} (after a restore) resumes the pools, which
 * refill to min-size. Beans that use the pools stop before them and start after them.
 */
@ExtendWith({ PoolThreads.class, OutputCaptureExtension.class })
class ConnPoolCheckpointRestoreTests {

    private static final Duration WAIT = Duration.ofSeconds(15);

    private TestServer server;
    private ApplicationContextRunner runner;

    @BeforeEach
    void start() throws IOException {
        server = TestServer.echo();
        runner = new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(ConnPoolAutoConfiguration.class))
                .withPropertyValues("connpool.defaults.host=" + server.host(),
                        "connpool.defaults.port=" + server.port(),
                        "connpool.pools.orders.min-size=2",
                        "connpool.pools.users.min-size=1");
    }

    @AfterEach
    void stop() throws IOException {
        server.close();
    }

    @Test
    void stopLeavesNoSocketNorPoolThreadAndStartRefillsToMinSize() {
        runner.run(context -> {
            server.awaitOpen(3, WAIT);
            ConnPool orders = context.getBean("orders", ConnPool.class);
            ConnPool users = context.getBean("users", ConnPool.class);
            roundTrip(orders);

            context.stop();
            assertThat(orders.isSuspended()).isTrue();
            assertThat(users.isSuspended()).isTrue();
            server.awaitOpen(0, WAIT);
            PoolThreads.awaitNone(WAIT);
            assertThat(orders.stats().size()).isZero();

            context.start();
            assertThat(orders.isSuspended()).isFalse();
            server.awaitOpen(3, WAIT);
            roundTrip(orders);
            roundTrip(users);

            // and once more: a restored application can be checkpointed again
            context.stop();
            server.awaitOpen(0, WAIT);
            PoolThreads.awaitNone(WAIT);
            context.start();
            server.awaitOpen(3, WAIT);
        });
        server.awaitOpen(0, WAIT);
    }

    @Test
    void stopWaitsForAConnectionInUseUntilItIsReturned() throws Exception {
        runner.withPropertyValues("connpool.pools.orders.shutdown-grace=30s").run(context -> {
            server.awaitOpen(3, WAIT);
            ConnPool orders = context.getBean("orders", ConnPool.class);
            PooledConnection lent = orders.get(WAIT);
            CompletableFuture<Void> stopping = CompletableFuture.runAsync(context::stop);
            // the idle ones are closed; the one in use still works
            server.awaitOpen(1, WAIT);
            assertThat(stopping).isNotDone();
            lent.getOutputStream().write('z');
            assertThat(lent.getInputStream().read()).isEqualTo('z');
            lent.close();
            stopping.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            server.awaitOpen(0, WAIT);
            PoolThreads.awaitNone(WAIT);
            context.start();
            server.awaitOpen(3, WAIT);
        });
    }

    @Test
    void stopGivesUpOnAConnectionInUseAfterTheGracePeriodAndSaysSo(CapturedOutput output) throws Exception {
        runner.withPropertyValues("connpool.pools.orders.shutdown-grace=300ms").run(context -> {
            server.awaitOpen(3, WAIT);
            ConnPool orders = context.getBean("orders", ConnPool.class);
            try (PooledConnection lent = orders.get(WAIT)) {
                long t0 = System.nanoTime();
                context.stop();
                long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                assertThat(millis).isBetween(300L, 10_000L);
                assertThat(output).contains("Connection pool 'orders' still has connections in use 300 ms after");
                assertThat(server.open()).isEqualTo(1);
            }
            // returned late, it is closed all the same
            server.awaitOpen(0, WAIT);
            context.start();
            server.awaitOpen(3, WAIT);
        });
    }

    @Test
    void beansThatUseAPoolStopBeforeItAndStartAfterIt() {
        runner.withUserConfiguration(PoolUser.class).run(context -> {
            server.awaitOpen(3, WAIT);
            PoolUserLifecycle user = context.getBean(PoolUserLifecycle.class);
            context.stop();
            context.start();
            assertThat(user.events).containsExactly("start: echoed", "stop: echoed", "start: echoed");
            server.awaitOpen(3, WAIT);
        });
    }

    @Test
    void closingTheContextClosesThePoolsWithoutAStopFirst(CapturedOutput output) {
        runner.run(context -> server.awaitOpen(3, WAIT));
        server.awaitOpen(0, WAIT);
        assertThat(output).doesNotContain("Suspending connection pool");
    }

    @Test
    void absentWithoutCracOnTheClassPath() {
        runner.withClassLoader(new FilteredClassLoader("org.crac"))
                .run(context -> assertThat(context).doesNotHaveBean(ConnPoolCheckpointRestoreLifecycle.class));
        runner.run(context -> assertThat(context).hasSingleBean(ConnPoolCheckpointRestoreLifecycle.class));
    }

    private static void roundTrip(ConnPool pool) throws IOException {
        try (PooledConnection c = pool.get(WAIT)) {
            c.getOutputStream().write('x');
            assertThat(c.getInputStream().read()).isEqualTo('x');
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class PoolUser {

        @Bean
        PoolUserLifecycle poolUserLifecycle(org.springframework.beans.factory.ObjectProvider<ConnPools> pools) {
            return new PoolUserLifecycle(pools);
        }
    }

    /** A bean of the default phase that needs a pool as it starts and as it stops (a listener, say). */
    static final class PoolUserLifecycle implements SmartLifecycle {

        final List<String> events = new CopyOnWriteArrayList<>();
        private final org.springframework.beans.factory.ObjectProvider<ConnPools> pools;
        private volatile boolean running;

        PoolUserLifecycle(org.springframework.beans.factory.ObjectProvider<ConnPools> pools) {
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
            // a suspended pool would make this wait out the timeout and fail
            try (PooledConnection c = pools.getObject().get("orders").get(Duration.ofSeconds(2))) {
                c.getOutputStream().write('e');
                return c.getInputStream().read() == 'e' ? "echoed" : "wrong byte";
            } catch (IOException e) {
                return e.toString();
            }
        }

        @Override
        public boolean isRunning() {
            return running;
        }
    }
}
