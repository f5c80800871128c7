package dev.connpool.autoconfigure.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.connpool.ConnPool;
import dev.connpool.ConnPoolConfig;
import dev.connpool.ConnectionFactory;
import dev.connpool.HealthCheck;
import dev.connpool.PooledConnection;
import dev.connpool.testkit.Await;
import dev.connpool.testkit.FaultProxy;
import dev.connpool.testkit.HangingServer;
import dev.connpool.testkit.NoPoolThreads;
import dev.connpool.testkit.Ports;
import dev.connpool.testkit.TestServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

/**
 * The health of one pool against real loopback backends: follows the backend without traffic, probes
 * when nothing vouches for it, and never blocks past its bound.
 */
@ExtendWith(NoPoolThreads.AfterProbes.class)
class ConnPoolHealthIndicatorTests {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final Duration PROBE_TIMEOUT = Duration.ofMillis(300);

    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
    }

    private <T extends AutoCloseable> T closing(T resource) {
        toClose.add(resource);
        return resource;
    }

    private ConnPool pool(int port, ConnPoolConfig.Builder config) throws Exception {
        return closing(ConnPool.create("p", config.build(),
                ConnectionFactory.tcp("127.0.0.1", port, Duration.ofSeconds(2))));
    }

    private static ConnPoolHealthIndicator indicator(ConnPool pool, Duration probeInterval) {
        return new ConnPoolHealthIndicator(pool, "tcp://127.0.0.1:1", PROBE_TIMEOUT, probeInterval);
    }

    @Test
    void upWithDetailsWhileConnectionsAreOpen() throws Exception {
        TestServer server = closing(TestServer.echo());
        ConnPool pool = pool(server.port(), ConnPoolConfig.builder().minSize(2).maxSize(5));
        Health health = indicator(pool, Duration.ofSeconds(10)).health();
        assertThat(health.getStatus()).isEqualTo(Status.UP);
        assertThat(health.getDetails()).containsEntry("size", 2).containsEntry("active", 0)
                .containsEntry("idle", 2).containsEntry("waiters", 0).containsEntry("connecting", 0)
                .containsEntry("min", 2).containsEntry("max", 5).containsEntry("target", "tcp://127.0.0.1:1")
                .doesNotContainKey("lastConnectError").doesNotContainKey("probe");
    }

    @Test
    void followsTheBackendDownAndUpWithoutAnyTraffic() throws Exception {
        TestServer server = TestServer.echo();
        int port = server.port();
        ConnPool pool = pool(port, ConnPoolConfig.builder().minSize(1).maxSize(2)
                .evictInterval(Duration.ofMillis(100)));
        ConnPoolHealthIndicator indicator = indicator(pool, Duration.ofSeconds(10));
        assertThat(indicator.health().getStatus()).isEqualTo(Status.UP);

        server.close();
        // the evictor finds the idle connection closed by the backend, and cannot reconnect
        Await.until(() -> indicator.health().getStatus().equals(Status.DOWN), WAIT, "pool DOWN");
        Health down = indicator.health();
        assertThat(down.getDetails()).containsEntry("size", 0);
        assertThat((String) down.getDetails().get("lastConnectError")).contains("ConnectException");

        TestServer again = closing(TestServer.start(TestServer.Mode.ECHO, port, null));
        Await.until(() -> indicator.health().getStatus().equals(Status.UP), WAIT, "pool UP again");
        // the evictor reopened min-size
        again.awaitOpen(1, WAIT);
        assertThat(pool.stats().size()).isEqualTo(1);
    }

    @Test
    void oneRefusedConnectDuringGrowthIsForgottenWithinAnEvictInterval() throws Exception {
        TestServer server = closing(TestServer.echo());
        FaultProxy proxy = closing(FaultProxy.to(server.port()));
        Duration evictInterval = Duration.ofMillis(500);
        // one interval until the evictor's next run, and slack for a busy machine
        Duration bound = evictInterval.multipliedBy(2).plusMillis(500);
        ConnPool pool = pool(proxy.port(), ConnPoolConfig.builder().minSize(1).maxSize(2)
                .evictInterval(evictInterval));
        ConnPoolHealthIndicator indicator = indicator(pool, Duration.ofSeconds(10));
        PooledConnection held = pool.get(WAIT);
        // growth past min-size meets a refused connect: the pool remembers it
        proxy.refuse();
        assertThatThrownBy(() -> pool.get(Duration.ofSeconds(2))).isInstanceOf(IOException.class);
        assertThat(pool.lastConnectFailure()).isPresent();
        proxy.start();
        held.close();
        // back at min-size, the evictor makes no connect, but its checks of the idle connection succeed
        long since = System.nanoTime();
        Await.until(() -> indicator.health().getStatus().equals(Status.UP), WAIT, "pool UP again");
        assertThat(Duration.ofNanos(System.nanoTime() - since)).isLessThan(bound);
        assertThat(indicator.health().getDetails()).doesNotContainKey("lastConnectError");
        assertThat(pool.stats().size()).isEqualTo(1);

        // and a backend that goes away is DOWN within an evict interval, as before
        proxy.stop();
        since = System.nanoTime();
        Await.until(() -> indicator.health().getStatus().equals(Status.DOWN), WAIT, "pool DOWN");
        assertThat(Duration.ofNanos(System.nanoTime() - since)).isLessThan(bound);
    }

    @Test
    void probesWhenNoConnectionVouchesForTheBackend() throws Exception {
        TestServer server = closing(TestServer.echo());
        ConnPool pool = pool(server.port(), ConnPoolConfig.builder().minSize(0).maxSize(2));
        assertThat(pool.stats().size()).isZero();
        Health health = indicator(pool, Duration.ofSeconds(10)).health();
        assertThat(health.getStatus()).isEqualTo(Status.UP);
        assertThat(health.getDetails()).containsEntry("probe", "got a connection").containsEntry("size", 1)
                .containsEntry("idle", 1);
        // the probe's connection went back to the pool, where it vouches for the next request
        assertThat(pool.stats().available()).isEqualTo(1);
        server.awaitOpen(1, WAIT);
    }

    @Test
    void aFailedProbeIsDownAndReusedForTheProbeInterval() throws Exception {
        int port = Ports.closed();
        ConnPool pool = pool(port, ConnPoolConfig.builder().minSize(0).maxSize(2));
        ConnPoolHealthIndicator indicator = indicator(pool, Duration.ofMinutes(5));
        Health health = indicator.health();
        assertThat(health.getStatus()).isEqualTo(Status.DOWN);
        assertThat(health.getDetails()).containsEntry("probe", "failed");
        assertThat((String) health.getDetails().get("lastConnectError")).contains("ConnectException");
        long failures = pool.stats().connectFailures();
        assertThat(failures).isEqualTo(1);
        long gets = pool.stats().requests();
        // a health poll does not hammer a backend that is down: no new probe, not even a get that the
        // pool's connect backoff would refuse without dialing
        for (int i = 0; i < 5; i++) {
            assertThat(indicator.health().getStatus()).isEqualTo(Status.DOWN);
        }
        assertThat(pool.stats().connectFailures()).isEqualTo(failures);
        assertThat(pool.stats().requests()).as("gets made by probes").isEqualTo(gets);
    }

    @Test
    void aProbeThatFailedIsRetriedAfterTheProbeInterval() throws Exception {
        TestServer server = TestServer.echo();
        int port = server.port();
        server.close();
        ConnPool pool = pool(port, ConnPoolConfig.builder().minSize(0).maxSize(2));
        ConnPoolHealthIndicator indicator = indicator(pool, Duration.ofMillis(100));
        assertThat(indicator.health().getStatus()).isEqualTo(Status.DOWN);
        closing(TestServer.start(TestServer.Mode.ECHO, port, null));
        Await.until(() -> indicator.health().getStatus().equals(Status.UP), WAIT, "UP after the backend is back");
    }

    @Test
    void aBackendThatNeverAcceptsIsDownWithinTheProbeTimeout() throws Exception {
        HangingServer hanging = closing(new HangingServer());
        ConnPool pool = pool(hanging.port(), ConnPoolConfig.builder().minSize(0).maxSize(2)
                .acquireTimeout(Duration.ofSeconds(30)));
        ConnPoolHealthIndicator indicator = indicator(pool, Duration.ofSeconds(10));
        for (int i = 0; i < 3; i++) {
            long t0 = System.nanoTime();
            Health health = indicator.health();
            long millis = (System.nanoTime() - t0) / 1_000_000;
            assertThat(millis).as("health returned in %d ms", millis).isLessThan(1_000);
            assertThat(health.getStatus()).isEqualTo(Status.DOWN);
            assertThat(health.getDetails()).containsEntry("probe", "no connection within 300ms");
        }
    }

    @Test
    void aBackendThatAcceptsButNeverAnswersNeverBlocksTheHealthCheck() throws Exception {
        TestServer silent = closing(TestServer.start(TestServer.Mode.SILENT));
        // each evictor run blocks a full second on the idle connection's request-response check
        ConnPool pool = pool(silent.port(), ConnPoolConfig.builder().minSize(1).maxSize(1)
                .evictInterval(Duration.ofMillis(100))
                .healthCheck(HealthCheck.requestResponse("PING\r\n".getBytes(StandardCharsets.US_ASCII),
                        "+PONG".getBytes(StandardCharsets.US_ASCII), Duration.ofSeconds(1))));
        ConnPoolHealthIndicator indicator = indicator(pool, Duration.ofSeconds(10));
        // health is asked over and over while the evictor's first check waits for its reply, until
        // that check has failed. A connection is open, so health answers from the pool's stats
        // without a probe: what this pins is that reading them never waits for the evictor's check
        long deadline = System.nanoTime() + WAIT.toNanos();
        int calls = 0;
        while (pool.stats().pingFailed() == 0 || calls <= 3) {
            assertThat(System.nanoTime() - deadline).as("the evictor's check failed within %s", WAIT).isNegative();
            long t0 = System.nanoTime();
            Health health = indicator.health();
            long millis = (System.nanoTime() - t0) / 1_000_000;
            assertThat(millis).as("health returned in %d ms (%s)", millis, health).isLessThan(1_000);
            calls++;
        }
    }

    /**
     * {@link ConnPoolHealthIndicator#isKnownDown(ConnPool)} (what a load balancer over pools asks,
     * with no I/O): only a pool whose last connect failed and that retries on its own, with a
     * min-size and an evictor, is known to be down; any other pool with a failed connect needs a
     * probe to tell.
     */
    @Test
    void knownDownOnlyWhenTheLastConnectFailedAndThePoolRefillsItself() throws Exception {
        int port = Ports.closed();
        ConnPool refills = pool(port, ConnPoolConfig.builder().minSize(1).maxSize(2).failFast(false)
                .evictInterval(Duration.ofMillis(100)));
        Await.until(() -> refills.lastConnectFailure().isPresent(), WAIT, "a failed connect");
        assertThat(ConnPoolHealthIndicator.isKnownDown(refills)).isTrue();
        Health down = indicator(refills, Duration.ofSeconds(10)).health();
        assertThat(down.getStatus()).isEqualTo(Status.DOWN);
        assertThat(down.getDetails()).as("known without a probe").doesNotContainKey("probe")
                .containsKey("lastConnectError");

        for (ConnPoolConfig.Builder config : List.of(
                ConnPoolConfig.builder().minSize(0).maxSize(2).evictInterval(Duration.ofMillis(100)),
                ConnPoolConfig.builder().minSize(1).maxSize(2).failFast(false).evictInterval(Duration.ZERO),
                ConnPoolConfig.builder().minSize(1).maxSize(2).failFast(false).evictInterval(Duration.ofSeconds(-1)))) {
            ConnPool pool = pool(port, config);
            assertThatThrownBy(() -> pool.get(Duration.ofSeconds(2))).isInstanceOf(IOException.class);
            assertThat(pool.lastConnectFailure()).as("%s", pool.config()).isPresent();
            assertThat(ConnPoolHealthIndicator.isKnownDown(pool)).as("%s", pool.config()).isFalse();
            Health probed = indicator(pool, Duration.ofSeconds(10)).health();
            assertThat(probed.getStatus()).isEqualTo(Status.DOWN);
            assertThat(probed.getDetails()).as("a probe told").containsKey("probe");
        }

        TestServer server = closing(TestServer.echo());
        ConnPool up = pool(server.port(), ConnPoolConfig.builder().minSize(1).maxSize(2)
                .evictInterval(Duration.ofMillis(100)));
        assertThat(ConnPoolHealthIndicator.isKnownDown(up)).isFalse();
    }

    @Test
    void aClosedPoolIsOutOfService() throws Exception {
        TestServer server = closing(TestServer.echo());
        ConnPool pool = pool(server.port(), ConnPoolConfig.builder().minSize(1).maxSize(2));
        pool.close();
        Health health = indicator(pool, Duration.ofSeconds(10)).health();
        assertThat(health.getStatus()).isEqualTo(Status.OUT_OF_SERVICE);
        assertThat(health.getDetails()).containsEntry("size", 0);
    }
}
