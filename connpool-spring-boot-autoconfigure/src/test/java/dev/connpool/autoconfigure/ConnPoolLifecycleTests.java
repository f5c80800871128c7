package dev.connpool.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.connpool.ConnPool;
import dev.connpool.PoolClosedException;
import dev.connpool.PooledConnection;
import dev.connpool.testkit.Await;
import dev.connpool.testkit.NoPoolThreads;
import dev.connpool.testkit.Ports;
import dev.connpool.testkit.TestServer;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Pools open with the context and close with it, every socket counted on the server side; in-use
 * connections get their grace period and no more. The context's stop() and start() (checkpoint and
 * restore) empty and refill them.
 */
@ExtendWith({ NoPoolThreads.AfterProbes.class, OutputCaptureExtension.class })
class ConnPoolLifecycleTests {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private TestServer server;
    private ApplicationContextRunner runner;

    @BeforeEach
    void start() throws IOException {
        server = TestServer.echo();
        runner = new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(ConnPoolAutoConfiguration.class))
                .withPropertyValues("connpool.defaults.host=" + server.host(),
                        "connpool.defaults.port=" + server.port());
    }

    @AfterEach
    void stop() throws IOException {
        server.close();
    }

    @Test
    void poolsOpenWithTheContextAndCloseWithIt() {
        AtomicReference<ConfigurableApplicationContext> closed = new AtomicReference<>();
        runner.withPropertyValues("connpool.pools.orders.min-size=3", "connpool.pools.users.min-size=2")
                .run(context -> {
                    // min-size connections are open once the context is (the server's accept loop
                    // may see the last of them a moment after the client's connect returned)
                    server.awaitOpen(5, WAIT);
                    assertThat(server.maxOpen()).isEqualTo(5);
                    closed.set(context);
                });
        assertThat(closed.get().isActive()).isFalse();
        server.awaitOpen(0, WAIT);
        assertThat(server.accepted()).isEqualTo(5);
    }

    @Test
    void closeWaitsForAConnectionInUseUntilItIsReturned() throws Exception {
        AtomicReference<Throwable> closeFailure = new AtomicReference<>();
        runner.withPropertyValues("connpool.pools.orders.min-size=2", "connpool.pools.orders.shutdown-grace=30s")
                .run(ctx -> {
                    ConnPool pool = ctx.getBean("orders", ConnPool.class);
                    PooledConnection lease = pool.get(WAIT);
                    server.awaitOpen(2, WAIT);
                    Thread closer = new Thread(() -> {
                        try {
                            ctx.close();
                        } catch (Throwable t) {
                            closeFailure.set(t);
                        }
                    }, "test-context-closer");
                    closer.start();
                    try {
                        // closing began: the idle connection is gone, the one in use is still open
                        Await.until(pool::isClosed, WAIT, "pool closed");
                        server.awaitOpen(1, WAIT);
                        assertThat(closer.isAlive()).as("close waits for the connection in use").isTrue();
                        lease.getOutputStream().write('x');
                        assertThat(lease.getInputStream().read()).isEqualTo('x');
                    } finally {
                        lease.close();
                        closer.join(WAIT.toMillis());
                    }
                    assertThat(closer.isAlive()).as("close returned once the connection came back").isFalse();
                    assertThat(closeFailure.get()).isNull();
                    server.awaitOpen(0, WAIT);
                    assertThat(pool.stats().shutdownClosed()).isEqualTo(2);
                });
    }

    @Test
    void aConnectionNotReturnedWithinTheGracePeriodIsClosedUnderItsUser() {
        runner.withPropertyValues("connpool.pools.orders.min-size=1", "connpool.pools.orders.shutdown-grace=300ms")
                .run(context -> {
                    ConnPool pool = context.getBean("orders", ConnPool.class);
                    try (PooledConnection lease = pool.get(WAIT)) {
                        long t0 = System.nanoTime();
                        context.close();
                        long tookMillis = (System.nanoTime() - t0) / 1_000_000;
                        assertThat(tookMillis).as("close waited for the grace period").isGreaterThanOrEqualTo(250);
                        server.awaitOpen(0, WAIT);
                        assertThat(lease.socket().isClosed()).isTrue();
                    }
                });
    }

    @Test
    void poolsShareOneShutdownDeadline() {
        List<String> names = List.of("a", "b", "c", "d", "e", "f", "g", "h");
        List<String> properties = new ArrayList<>();
        for (String name : names) {
            properties.add("connpool.pools." + name + ".min-size=1");
            properties.add("connpool.pools." + name + ".shutdown-grace=1s");
        }
        runner.withPropertyValues(properties.toArray(String[]::new))
                .run(context -> {
                    List<PooledConnection> lent = new ArrayList<>();
                    try {
                        for (String name : names) {
                            lent.add(context.getBean(name, ConnPool.class).get(WAIT));
                        }
                        long t0 = System.nanoTime();
                        context.close();
                        long tookMillis = (System.nanoTime() - t0) / 1_000_000;
                        // closed side by side: one grace period (1 s); two at a time would take 4 s,
                        // one at a time 8 s. The upper bound leaves a loaded machine almost three
                        // more periods
                        assertThat(tookMillis).isBetween(900L, 3_900L);
                        server.awaitOpen(0, WAIT);
                    } finally {
                        for (PooledConnection c : lent) {
                            c.close();
                        }
                    }
                });
    }

    @Test
    void aFailedStartupClosesThePoolsAlreadyOpen() {
        runner.withPropertyValues("connpool.pools.orders.min-size=2")
                .withUserConfiguration(FailsAfterOrders.class)
                .run(context -> {
                    assertThat(context).hasFailed();
                    assertThat(context).getFailure().hasStackTraceContaining("no luck");
                    // orders was open (the failing bean needed it) and is closed again
                    server.awaitAccepted(2, WAIT);
                    server.awaitOpen(0, WAIT);
                    assertThat(server.accepted()).isEqualTo(2);
                });
    }

    @Test
    void aBackendDownAtStartupFailsItUnlessFailFastIsOff() throws Exception {
        int closedPort = Ports.closed();
        runner.withPropertyValues("connpool.pools.orders.port=" + closedPort, "connpool.pools.orders.min-size=1",
                        "connpool.pools.orders.connect-timeout=2s")
                .run(context -> {
                    assertThat(context).hasFailed();
                    assertThat(context).getFailure().hasRootCauseInstanceOf(java.net.ConnectException.class);
                    FailureAnalysis analysis = new ConnPoolOpenFailureAnalyzer().analyze(context.getStartupFailure());
                    assertThat(analysis.getDescription()).startsWith("Connection pool 'orders' could not open its "
                            + "min-size connections to tcp://127.0.0.1:" + closedPort + ": java.net.ConnectException");
                    assertThat(analysis.getAction()).contains("connpool.pools.orders.fail-fast=false")
                            .contains("connpool.pools.orders.min-size=0");
                });
        runner.withPropertyValues("connpool.pools.orders.port=" + closedPort, "connpool.pools.orders.min-size=1",
                        "connpool.pools.orders.fail-fast=false")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    ConnPool pool = context.getBean("orders", ConnPool.class);
                    assertThat(pool.stats().size()).isZero();
                    assertThat(pool.lastConnectFailure()).isPresent();
                });
    }

    @Test
    void theApplicationReportsABackendDownAtStartup(CapturedOutput output) throws Exception {
        int closedPort = Ports.closed();
        SpringApplication app = new SpringApplication(App.class);
        app.setWebApplicationType(WebApplicationType.NONE);
        app.setDefaultProperties(Map.of("connpool.pools.orders.host", "127.0.0.1",
                "connpool.pools.orders.port", closedPort, "connpool.pools.orders.min-size", 1));
        assertThatThrownBy(app::run).hasRootCauseInstanceOf(java.net.ConnectException.class);
        assertThat(output).contains("APPLICATION FAILED TO START")
                .contains("Connection pool 'orders' could not open its min-size connections to tcp://127.0.0.1:"
                        + closedPort + ": java.net.ConnectException")
                .contains("set connpool.pools.orders.fail-fast=false");
    }

    @Test
    void aCustomizerThatThrowsFailsStartupAndClosesThePoolsAlreadyOpen() {
        runner.withPropertyValues("connpool.pools.a.min-size=2", "connpool.pools.b.min-size=2")
                .withUserConfiguration(NeedsAThenB.class)
                .withBean(ConnPoolCustomizer.class, () -> ConnPoolCustomizer.forPool("b", spec -> {
                    throw new IllegalStateException("customizer bug");
                }))
                .run(context -> {
                    assertThat(context).hasFailed();
                    assertThat(context).getFailure().rootCause().isInstanceOf(IllegalStateException.class)
                            .hasMessage("customizer bug");
                    // a was open before b failed, and is closed again
                    server.awaitAccepted(2, WAIT);
                    server.awaitOpen(0, WAIT);
                    assertThat(server.accepted()).isEqualTo(2);
                });
    }

    @Test
    void aCustomizerThatThrowsAnErrorFailsStartupWithItAndClosesThePoolsAlreadyOpen() {
        runner.withPropertyValues("connpool.pools.a.min-size=2", "connpool.pools.b.min-size=2")
                .withUserConfiguration(NeedsAThenB.class)
                .withBean(ConnPoolCustomizer.class, () -> ConnPoolCustomizer.forPool("b", spec -> {
                    throw new CustomizerError();
                }))
                .run(context -> {
                    assertThat(context).hasFailed();
                    assertThat(context).getFailure().rootCause().isInstanceOf(CustomizerError.class);
                    // a was open before b failed, and is closed again
                    server.awaitAccepted(2, WAIT);
                    server.awaitOpen(0, WAIT);
                    assertThat(server.accepted()).isEqualTo(2);
                });
    }

    @Test
    void closingTheContextFromSeveralThreadsWhilePoolsAreInUse() throws Exception {
        AtomicReference<Throwable> unexpected = new AtomicReference<>();
        runner.withPropertyValues("connpool.pools.a.min-size=2", "connpool.pools.b.min-size=1",
                        "connpool.pools.a.shutdown-grace=5s", "connpool.pools.b.shutdown-grace=5s")
                .run(context -> {
                    List<ConnPool> pools = List.of(context.getBean("a", ConnPool.class),
                            context.getBean("b", ConnPool.class));
                    CountDownLatch go = new CountDownLatch(1);
                    List<Thread> threads = new ArrayList<>();
                    for (ConnPool pool : pools) {
                        for (int i = 0; i < 2; i++) {
                            threads.add(new Thread(() -> useUntilClosed(pool, go, unexpected), "test-user-" + i));
                        }
                    }
                    for (int i = 0; i < 3; i++) {
                        threads.add(new Thread(() -> {
                            await(go);
                            context.close();
                        }, "test-closer-" + i));
                    }
                    threads.forEach(Thread::start);
                    go.countDown();
                    for (Thread t : threads) {
                        t.join(WAIT.toMillis());
                        assertThat(t.isAlive()).as("%s still running", t.getName()).isFalse();
                    }
                    assertThat(context.isActive()).isFalse();
                    assertThat(pools).allSatisfy(p -> assertThat(p.isClosed()).isTrue());
                    server.awaitOpen(0, WAIT);
                });
        assertThat(unexpected.get()).as("a user saw anything but a closed pool").isNull();
    }

    /** Gets, uses and returns connections until the pool is closed. */
    private static void useUntilClosed(ConnPool pool, CountDownLatch go, AtomicReference<Throwable> unexpected) {
        await(go);
        while (true) {
            try (PooledConnection conn = pool.get(WAIT)) {
                conn.getOutputStream().write('x');
                if (conn.getInputStream().read() != 'x') {
                    throw new IllegalStateException("not an echo");
                }
            } catch (PoolClosedException e) {
                return;
            } catch (Throwable t) {
                unexpected.compareAndSet(null, t);
                return;
            }
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** An Error of a customizer: not an Exception, and still reported and cleaned up after. */
    static final class CustomizerError extends Error {

        private static final long serialVersionUID = 1L;

        CustomizerError() {
            super("customizer bug");
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class NeedsAThenB {

        @Bean
        Object needsA(@Qualifier("a") ConnPool a) {
            return a.name();
        }

        @Bean
        Object needsB(@Qualifier("b") ConnPool b, @Qualifier("needsA") Object needsA) {
            return b.name();
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ImportAutoConfiguration(ConnPoolAutoConfiguration.class)
    static class App {
    }

    @Configuration(proxyBeanMethods = false)
    static class FailsAfterOrders {

        @Bean
        Object failing(@Qualifier("orders") ConnPool orders) {
            throw new IllegalStateException("no luck with " + orders.name());
        }
    }

    /**
     * Checkpoint/restore without a CRaC JDK: with {@code org.crac} on the class path, the context's
     * {@code stop()} (what Spring calls before a checkpoint) leaves no socket open, counted on the
     * server side, and no pool thread running; its {@code start()} (after a restore) resumes the pools,
     * which refill to min-size. Beans that use the pools stop before them and start after them.
     */
    @Nested
    class CheckpointRestore {

        private static final Duration WAIT = Duration.ofSeconds(15);

        private ApplicationContextRunner crac;

        @BeforeEach
        void pools() {
            crac = runner.withPropertyValues("connpool.pools.orders.min-size=2", "connpool.pools.users.min-size=1");
        }

        @Test
        void stopLeavesNoSocketNorPoolThreadAndStartRefillsToMinSize() {
            crac.run(context -> {
                server.awaitOpen(3, WAIT);
                ConnPool orders = context.getBean("orders", ConnPool.class);
                ConnPool users = context.getBean("users", ConnPool.class);
                roundTrip(orders);

                context.stop();
                assertThat(orders.isSuspended()).isTrue();
                assertThat(users.isSuspended()).isTrue();
                server.awaitOpen(0, WAIT);
                // within moments, not after the connector threads' 5 s of idling
                PoolThreads.awaitOnlyTheSharedClock(Duration.ofSeconds(3));
                assertThat(orders.stats().size()).isZero();

                context.start();
                assertThat(orders.isSuspended()).isFalse();
                server.awaitOpen(3, WAIT);
                roundTrip(orders);
                roundTrip(users);

                // and once more: a restored application can be checkpointed again
                context.stop();
                server.awaitOpen(0, WAIT);
                PoolThreads.awaitOnlyTheSharedClock(WAIT);
                context.start();
                server.awaitOpen(3, WAIT);
            });
            server.awaitOpen(0, WAIT);
        }

        @Test
        void stopWaitsForAConnectionInUseUntilItIsReturned() throws Exception {
            crac.withPropertyValues("connpool.pools.orders.shutdown-grace=30s").run(context -> {
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
                PoolThreads.awaitOnlyTheSharedClock(WAIT);
                context.start();
                server.awaitOpen(3, WAIT);
            });
        }

        @Test
        void stopGivesUpOnAConnectionInUseAfterTheGracePeriodAndSaysSo(CapturedOutput output) throws Exception {
            crac.withPropertyValues("connpool.pools.orders.shutdown-grace=300ms").run(context -> {
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

        /**
         * A pool whose backend is down keeps a probe waiting out the connect backoff (here 1.6 s): the
         * stop calls it off, so it neither waits out the grace period for a connect that never dials
         * nor warns that connections are still in use (none is open).
         */
        @Test
        void stopDoesNotWaitForAProbeThatWaitsOutTheBackoff(CapturedOutput output) throws Exception {
            crac.withPropertyValues("connpool.pools.down.port=" + Ports.closed(), "connpool.pools.down.min-size=1",
                    "connpool.pools.down.fail-fast=false", "connpool.pools.down.evict-interval=10ms",
                    "connpool.pools.down.shutdown-grace=3s").run(context -> {
                        ConnPool down = context.getBean("down", ConnPool.class);
                        // four failed refills, then a probe waiting out its delay (800 ms, then 1.6 s)
                        Await.until(() -> down.stats().connectFailures() >= 5 && down.stats().connecting() == 1,
                                WAIT, () -> "backing off: " + down.stats());
                        long t0 = System.nanoTime();
                        context.stop();
                        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                        assertThat(millis).as("stop() took %d ms", millis).isLessThan(1_000);
                        assertThat(down.stats().connecting()).isZero();
                        assertThat(output).doesNotContain("still has connections in use");
                        context.start();
                    });
        }

        @Test
        void beansThatUseAPoolStopBeforeItAndStartAfterIt() {
            crac.withUserConfiguration(PoolUser.class).run(context -> {
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
            crac.run(context -> server.awaitOpen(3, WAIT));
            server.awaitOpen(0, WAIT);
            assertThat(output).doesNotContain("Suspending connection pool");
        }

        @Test
        void absentWithoutCracOnTheClassPath() {
            crac.withClassLoader(new FilteredClassLoader("org.crac"))
                    .run(context -> assertThat(context).doesNotHaveBean(ConnPoolCheckpointRestoreLifecycle.class));
            crac.run(context -> assertThat(context).hasSingleBean(ConnPoolCheckpointRestoreLifecycle.class));
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
            PoolUserLifecycle poolUserLifecycle(ObjectProvider<ConnPools> pools) {
                return new PoolUserLifecycle(pools);
            }
        }

        /** A bean of the default phase that needs a pool as it starts and as it stops (a listener, say). */
        static final class PoolUserLifecycle implements SmartLifecycle {

            final List<String> events = new CopyOnWriteArrayList<>();
            private final ObjectProvider<ConnPools> pools;
            private volatile boolean running;

            PoolUserLifecycle(ObjectProvider<ConnPools> pools) {
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
}
