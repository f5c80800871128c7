package dev.connpool.autoconfigure.observation;

import static io.micrometer.observation.tck.TestObservationRegistryAssert.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

import dev.connpool.AcquireTimeoutException;
import dev.connpool.ConnPool;
import dev.connpool.ConnectFailedException;
import dev.connpool.PooledConnection;
import dev.connpool.autoconfigure.ConnPoolAutoConfiguration;
import dev.connpool.autoconfigure.PoolThreads;
import dev.connpool.autoconfigure.Ports;
import dev.connpool.testkit.TestServer;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.tck.TestObservationRegistry;
import java.io.IOException;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * Gets through {@link ObservedConnPools} run inside a {@code connpool.acquire} observation tagged with
 * the pool, with the error of a get that times out or fails; without an {@link ObservationRegistry}
 * nothing is observed, and the {@link ConnPool} beans are the pools themselves either way.
 */
@ExtendWith(PoolThreads.class)
class ObservedConnPoolTests {

    private static TestServer server;

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(ConnPoolAutoConfiguration.class,
                    ConnPoolObservationAutoConfiguration.class))
            .withPropertyValues("connpool.pools.orders.host=127.0.0.1", "connpool.pools.orders.max-size=1");

    @BeforeAll
    static void startServer() throws IOException {
        server = TestServer.echo();
    }

    @AfterAll
    static void stopServer() throws IOException {
        server.close();
    }

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

    @Test
    void withoutARegistryNothingIsObserved() {
        runner.withPropertyValues("connpool.pools.orders.port=" + server.port()).run(context -> {
            assertThat(context).doesNotHaveBean(ObservationRegistry.class);
            ObservedConnPool orders = context.getBean(ObservedConnPools.class).get("orders");
            try (PooledConnection conn = orders.get()) {
                conn.getOutputStream().write('y');
                assertThat(conn.getInputStream().read()).isEqualTo('y');
            }
        });
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
