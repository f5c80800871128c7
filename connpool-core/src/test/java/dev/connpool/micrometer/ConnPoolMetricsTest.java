package dev.connpool.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.connpool.AcquireTimeoutException;
import dev.connpool.ConnPool;
import dev.connpool.ConnPoolConfig;
import dev.connpool.ConnectionFactory;
import dev.connpool.PooledConnection;
import dev.connpool.testkit.Await;
import dev.connpool.testkit.NoPoolThreads;
import dev.connpool.testkit.TestServer;
import dev.connpool.testkit.Worker;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** The meters of DESIGN §6, registered by ConnPoolMetrics, read from a real registry. */
@Timeout(30)
@ExtendWith(NoPoolThreads.class)
class ConnPoolMetricsTest {

    @Test
    void registersEveryMeterTaggedWithThePoolAndTheyFollowThePool() throws Exception {
        MeterRegistry registry = new SimpleMeterRegistry();
        try (TestServer server = TestServer.echo();
             ConnPool pool = ConnPool.create("orders", ConnPoolConfig.builder().minSize(1).maxSize(2)
                     .maxLifetime(Duration.ofMillis(300)).evictInterval(Duration.ZERO).build(),
                     ConnectionFactory.tcp(server.host(), server.port(), Duration.ofSeconds(5)));
             ConnPoolMetrics metrics = new ConnPoolMetrics(pool, Tags.of("app", "test"))) {
            metrics.bindTo(registry);

            Set<String> names = registry.getMeters().stream().map(m -> m.getId().getName())
                    .collect(Collectors.toSet());
            assertThat(names).containsExactlyInAnyOrder("connpool.connections", "connpool.connections.active",
                    "connpool.connections.idle", "connpool.connections.pending", "connpool.connections.max",
                    "connpool.connections.min", "connpool.connections.acquire", "connpool.connections.usage",
                    "connpool.connections.creation", "connpool.connections.timeout",
                    "connpool.connections.created", "connpool.connections.closed", "connpool.connections.leaked",
                    "connpool.connections.health.skipped");
            assertThat(registry.getMeters()).allMatch(m -> "orders".equals(m.getId().getTag("pool"))
                    && "test".equals(m.getId().getTag("app")));
            assertThat(registry.find("connpool.connections.closed").functionCounters()).hasSize(5)
                    .extracting(c -> c.getId().getTag("reason"))
                    .containsExactlyInAnyOrder("idle", "lifetime", "health", "unusable", "shutdown");

            assertThat(gauge(registry, "connpool.connections.max")).isEqualTo(2);
            assertThat(gauge(registry, "connpool.connections.min")).isEqualTo(1);
            assertThat(gauge(registry, "connpool.connections")).isEqualTo(1);
            assertThat(gauge(registry, "connpool.connections.idle")).isEqualTo(1);

            PooledConnection a = pool.get();
            PooledConnection b = pool.get();
            assertThat(gauge(registry, "connpool.connections.active")).isEqualTo(2);
            assertThat(gauge(registry, "connpool.connections.idle")).isZero();
            assertThat(gauge(registry, "connpool.connections.pending")).isZero();
            assertThatThrownBy(() -> pool.get(Duration.ofMillis(20))).isInstanceOf(AcquireTimeoutException.class);
            assertThat(registry.get("connpool.connections.timeout").functionCounter().count()).isEqualTo(1);
            b.markUnusable();
            b.close();
            a.close();

            // counters follow the pool's own statistics (a lifetime expiry may add a connection on a slow machine)
            dev.connpool.PoolStats stats = pool.stats();
            assertThat(stats.created()).isGreaterThanOrEqualTo(2);
            assertThat(registry.get("connpool.connections.created").functionCounter().count())
                    .isEqualTo(stats.created());
            assertThat(registry.get("connpool.connections.closed").tag("reason", "unusable").functionCounter()
                    .count()).isEqualTo(1);
            assertThat(registry.get("connpool.connections.acquire").timer().count()).isEqualTo(2);
            assertThat(registry.get("connpool.connections.usage").timer().count()).isEqualTo(2);
            // every connection opened after binding was timed (the first one was opened before)
            assertThat(registry.get("connpool.connections.creation").timer().count()).isEqualTo(stats.created() - 1);
            assertThat(registry.get("connpool.connections.usage").timer().totalTime(
                    java.util.concurrent.TimeUnit.NANOSECONDS)).isPositive();

            // lifetime: the idle connection expires and is closed on the next get
            Await.until(() -> {
                try (PooledConnection c = pool.get()) {
                    return registry.get("connpool.connections.closed").tag("reason", "lifetime")
                            .functionCounter().count() >= 1;
                } catch (java.io.IOException e) {
                    throw new AssertionError(e);
                }
            }, Duration.ofSeconds(5), "a lifetime close counted");

            // after close(), timers stop receiving: the tracker is gone
            metrics.close();
            long acquired = registry.get("connpool.connections.acquire").timer().count();
            pool.get().close();
            assertThat(registry.get("connpool.connections.acquire").timer().count()).isEqualTo(acquired);
            pool.close();
            assertThat(registry.get("connpool.connections.closed").tag("reason", "shutdown").functionCounter()
                    .count()).isGreaterThanOrEqualTo(1);
        }
    }

    @Test
    void theOperationsMetersFollowLeaksSkippedChecksAndResizes() throws Exception {
        MeterRegistry registry = new SimpleMeterRegistry();
        try (TestServer server = TestServer.echo();
             ConnPool pool = ConnPool.create("ops", ConnPoolConfig.builder().maxSize(2).evictInterval(Duration.ZERO)
                     .healthCheckAfterIdle(Duration.ofSeconds(10)).leakDetectionThreshold(Duration.ofMillis(50))
                     .build(), ConnectionFactory.tcp(server.host(), server.port(), Duration.ofSeconds(5)));
             ConnPoolMetrics metrics = new ConnPoolMetrics(pool)) {
            metrics.bindTo(registry);
            pool.get().close();
            pool.get().close(); // idle for less than 10 s: its check is skipped
            assertThat(registry.get("connpool.connections.health.skipped").functionCounter().count()).isEqualTo(1);
            try (PooledConnection held = pool.get()) {
                Await.until(() -> registry.get("connpool.connections.leaked").functionCounter().count() == 1,
                        Duration.ofSeconds(5), "the held lease counted as leaked");
            }
            pool.resize(1, 3);
            assertThat(gauge(registry, "connpool.connections.max")).isEqualTo(3);
            assertThat(gauge(registry, "connpool.connections.min")).isEqualTo(1);
        }
    }

    @Test
    void pendingCountsTheCallersWaiting() throws Exception {
        MeterRegistry registry = new SimpleMeterRegistry();
        try (TestServer server = TestServer.echo();
             ConnPool pool = ConnPool.create("pending", ConnPoolConfig.builder().maxSize(1).build(),
                     ConnectionFactory.tcp(server.host(), server.port(), Duration.ofSeconds(5)));
             ConnPoolMetrics metrics = new ConnPoolMetrics(pool)) {
            metrics.bindTo(registry);
            PooledConnection held = pool.get();
            List<Worker> waiters = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                waiters.add(Worker.start("waiter-" + i, () -> pool.get(Duration.ofSeconds(10)).close()));
                int waiting = i + 1;
                Await.until(() -> gauge(registry, "connpool.connections.pending") == waiting, Duration.ofSeconds(5),
                        () -> "pending " + gauge(registry, "connpool.connections.pending") + ", " + pool.stats());
            }
            held.close();
            for (Worker w : waiters) {
                w.join(Duration.ofSeconds(10));
            }
            assertThat(gauge(registry, "connpool.connections.pending")).isZero();
        }
    }

    private static double gauge(MeterRegistry registry, String name) {
        return registry.get(name).gauge().value();
    }
}
