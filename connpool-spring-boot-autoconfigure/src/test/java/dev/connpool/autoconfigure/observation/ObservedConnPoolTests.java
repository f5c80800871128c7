package dev.connpool.autoconfigure.observation;

import static io.micrometer.observation.tck.TestObservationRegistryAssert.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.connpool.AcquireTimeoutException;
import dev.connpool.ConnPool;
import dev.connpool.ConnectFailedException;
import dev.connpool.PooledConnection;
import dev.connpool.autoconfigure.ConnPoolAutoConfiguration;
import dev.connpool.testkit.EchoServer;
import dev.connpool.testkit.NoPoolThreads;
import dev.connpool.testkit.Ports;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.tck.TestObservationRegistry;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * Gets through {@link ObservedConnPools} run inside a {@code connpool.acquire} observation tagged with
 * the pool, with the error of a get that times out or fails; without an {@link ObservationRegistry}
 * nothing is observed, and the {@link ConnPool} beans are the pools themselves either way.
 */
@ExtendWith(NoPoolThreads.AfterProbes.class)
class ObservedConnPoolTests {

    @RegisterExtension
    static final EchoServer server = new EchoServer();

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(ConnPoolAutoConfiguration.class,
                    ConnPoolObservationAutoConfiguration.class))
            .withPropertyValues("connpool.pools.orders.host=127.0.0.1", "connpool.pools.orders.max-size=1");

    private ApplicationContextRunner observed(TestObservationRegistry registry) {
        return runner.withBean(ObservationRegistry.class, () -> registry);
    }

    @Test
    void aGetIsObservedWithThePoolsName() {
        TestObservationRegistry registry = TestObservationRegistry.create();
        observed(registry).withPropertyValues("connpool.pools.orders.port=" + server.port()).run(context -> {
            ObservedConnPool orders = context.getBean(ObservedConnPools.class).get("orders");
            try (PooledConnection conn = orders.get()) {
                conn.getOutputStream().write('x');
                assertThat(conn.getInputStream().read()).isEqualTo('x');
            }
            assertThat(registry).hasSingleObservationThat().hasNameEqualTo("connpool.acquire")
                    .hasBeenStarted().hasBeenStopped().doesNotHaveError()
                    .hasLowCardinalityKeyValue("pool", "orders")
                    .hasContextualNameEqualTo("connpool acquire orders");
            orders.get(Duration.ofSeconds(5)).close();
            assertThat(registry).hasNumberOfObservationsWithNameEqualTo("connpool.acquire", 2)
                    .forAllObservationsWithNameEqualTo("connpool.acquire", o -> o.doesNotHaveError()
                            .hasLowCardinalityKeyValue("pool", "orders"));
        });
    }

    @Test
    void aTimeoutIsRecordedAsTheObservationsError() {
        TestObservationRegistry registry = TestObservationRegistry.create();
        observed(registry).withPropertyValues("connpool.pools.orders.port=" + server.port()).run(context -> {
            ObservedConnPool orders = context.getBean(ObservedConnPools.class).get("orders");
            try (PooledConnection held = orders.pool().get()) {
                assertThatExceptionOfType(AcquireTimeoutException.class)
                        .isThrownBy(() -> orders.get(Duration.ofMillis(50)));
            }
            assertThat(registry).hasSingleObservationThat().hasNameEqualTo("connpool.acquire")
                    .hasBeenStopped().hasLowCardinalityKeyValue("pool", "orders")
                    .assertThatError().isInstanceOf(AcquireTimeoutException.class);
        });
    }

    @Test
    void aFailedConnectIsRecordedAsTheObservationsError() throws IOException {
        TestObservationRegistry registry = TestObservationRegistry.create();
        observed(registry).withPropertyValues("connpool.pools.orders.port=" + Ports.closed()).run(context -> {
            ObservedConnPool orders = context.getBean(ObservedConnPools.class).get("orders");
            assertThatExceptionOfType(ConnectFailedException.class).isThrownBy(() -> orders.get(Duration.ofSeconds(5)));
            assertThat(registry).hasSingleObservationThat().hasBeenStopped()
                    .assertThatError().isInstanceOf(ConnectFailedException.class);
        });
    }

    @Test
    void theConnPoolBeansAreThePoolsThemselves() {
        TestObservationRegistry registry = TestObservationRegistry.create();
        observed(registry).withPropertyValues("connpool.pools.orders.port=" + server.port()).run(context -> {
            ConnPool bean = context.getBean("orders", ConnPool.class);
            assertThat(bean.getClass()).isEqualTo(ConnPool.class);
            assertThat(context.getBean(ObservedConnPools.class).get("orders").pool()).isSameAs(bean);
            bean.get().close();
            assertThat(registry).doesNotHaveAnyObservation();
        });
    }

    /** Tagged "allocation": it measures what the JIT removes, which PIT's instrumentation changes. */
    @Test
    @Tag("allocation")
    void withoutARegistryNothingIsObserved() {
        runner.withPropertyValues("connpool.pools.orders.port=" + server.port()).run(context -> {
            assertThat(context).doesNotHaveBean(ObservationRegistry.class);
            ObservedConnPool orders = context.getBean(ObservedConnPools.class).get("orders");
            try (PooledConnection conn = orders.get()) {
                conn.getOutputStream().write('y');
                assertThat(conn.getInputStream().read()).isEqualTo('y');
            }
            // nothing on the fast path: no observation, not even a no-op one with its scope
            assertThat(allocatedByGets(orders)).as("bytes allocated by 100k gets without a registry").isZero();
        });
    }

    /** A handler added to the registry after the pools were observed sees the gets that follow. */
    @Test
    void aHandlerAddedLaterSeesTheGetsThatFollow() {
        ObservationRegistry registry = ObservationRegistry.create();
        runner.withBean(ObservationRegistry.class, () -> registry)
                .withPropertyValues("connpool.pools.orders.port=" + server.port()).run(context -> {
                    ObservedConnPool orders = context.getBean(ObservedConnPools.class).get("orders");
                    orders.get().close();
                    List<String> started = new CopyOnWriteArrayList<>();
                    registry.observationConfig().observationHandler(new ObservationHandler<Observation.Context>() {
                        @Override
                        public void onStart(Observation.Context observation) {
                            started.add(observation.getName() + " " + observation.getLowCardinalityKeyValue("pool").getValue());
                        }

                        @Override
                        public boolean supportsContext(Observation.Context observation) {
                            return true;
                        }
                    });
                    orders.get().close();
                    orders.get(Duration.ofSeconds(5)).close();
                    assertThat(started).containsExactly("connpool.acquire orders", "connpool.acquire orders");
                });
    }

    /**
     * Bytes the current thread allocates over 100k observed gets and releases, after warm-up, measured as
     * the core's allocation test measures the pool's own fast path (0 there).
     */
    @SuppressWarnings("deprecation")
    private static long allocatedByGets(ObservedConnPool pool) throws IOException {
        java.lang.management.ThreadMXBean plain = ManagementFactory.getThreadMXBean();
        assumeTrue(plain instanceof com.sun.management.ThreadMXBean, "needs com.sun.management.ThreadMXBean");
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) plain;
        assumeTrue(threads.isThreadAllocatedMemorySupported());
        threads.setThreadAllocatedMemoryEnabled(true);
        long tid = Thread.currentThread().getId();
        long allocated = Long.MAX_VALUE;
        // warm up until the loop is compiled; then measure; a few rounds for the JIT to settle
        for (int round = 0; round < 20 && allocated != 0; round++) {
            gets(pool, 200_000);
            long before = threads.getThreadAllocatedBytes(tid);
            long n = gets(pool, 100_000);
            long after = threads.getThreadAllocatedBytes(tid);
            assertThat(n).isEqualTo(100_000);
            allocated = after - before;
        }
        return allocated;
    }

    private static long gets(ObservedConnPool pool, int n) throws IOException {
        long count = 0;
        for (int i = 0; i < n; i++) {
            try (PooledConnection c = pool.get()) {
                if (c.socket() != null) {
                    count++;
                }
            }
        }
        return count;
    }

    @Test
    void withoutMicrometerObservationThereIsNoObservedConnPools() {
        runner.withPropertyValues("connpool.pools.orders.port=" + server.port())
                .withClassLoader(new FilteredClassLoader(ObservationRegistry.class))
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context).doesNotHaveBean(ObservedConnPools.class);
                    assertThat(context).hasBean("orders");
                });
    }
}
