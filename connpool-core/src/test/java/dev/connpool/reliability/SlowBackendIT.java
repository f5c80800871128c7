package dev.connpool.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.connpool.AcquireTimeoutException;
import dev.connpool.ConnPool;
import dev.connpool.ConnPoolConfig;
import dev.connpool.ConnectionFactory;
import dev.connpool.HealthCheck;
import dev.connpool.PoolStats;
import dev.connpool.PooledConnection;
import dev.connpool.testkit.Await;
import dev.connpool.testkit.Certificates;
import dev.connpool.testkit.Echo;
import dev.connpool.testkit.FaultProxy;
import dev.connpool.testkit.NoPoolThreads;
import dev.connpool.testkit.TestServer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A backend that stops answering (blackhole) or answers slowly (latency): get keeps its deadline,
 * health checks are bounded by their timeout, and slow connects never delay callers that an idle
 * connection can serve.
 *
 * <p>Connects over plain TCP complete in the kernel whatever the proxy does, so the tests that
 * need a slow or hanging connect speak TLS through the proxy: the handshake's round trips cross
 * the proxy's latency, or its blackhole.
 */
@Timeout(60)
@ExtendWith(NoPoolThreads.class)
class SlowBackendIT {

    private static final byte[] PING = "PING\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] PONG = "PING".getBytes(StandardCharsets.US_ASCII); // the backend echoes

    private TestServer backend;
    private FaultProxy proxy;

    @AfterEach
    void stop() throws Exception {
        if (proxy != null) {
            proxy.close();
        }
        if (backend != null) {
            backend.close();
        }
    }

    private void plainBackend() throws Exception {
        backend = TestServer.echo();
        proxy = FaultProxy.to(backend.port());
    }

    private SSLContext tlsBackend() throws Exception {
        Certificates certs = Certificates.selfSigned("127.0.0.1");
        backend = TestServer.start(TestServer.Mode.ECHO, 0, certs.serverContext().getServerSocketFactory());
        proxy = FaultProxy.to(backend.port());
        return certs.clientContext();
    }

    /**
     * DESIGN §4: "one deadline bounds everything". Eight idle connections, each of whose health
     * checks takes its full 300 ms timeout against a blackholed backend: a get(1 s) may finish the
     * check it started before the deadline, but must not start new ones after it.
     */
    @Test
    void getKeepsItsDeadlineWhenEveryIdleConnectionHangsItsHealthCheck() throws Exception {
        plainBackend();
        Duration checkTimeout = Duration.ofMillis(300);
        ConnPoolConfig config = ConnPoolConfig.builder().minSize(8).maxSize(8).evictInterval(Duration.ZERO)
                .healthCheck(HealthCheck.requestResponse(PING, PONG, checkTimeout)).build();
        try (ConnPool pool = ConnPool.create("blackhole-deadline", config,
                ConnectionFactory.tcp(proxy.host(), proxy.port(), Duration.ofSeconds(5)))) {
            proxy.awaitOpen(8, Duration.ofSeconds(5));
            proxy.blackhole(true);
            Duration timeout = Duration.ofSeconds(1);
            long t0 = System.nanoTime();
            try (PooledConnection c = pool.get(timeout)) {
                // a connection is fine too, if it came in time
            } catch (AcquireTimeoutException expected) {
                // so is a timeout
            }
            long took = (System.nanoTime() - t0) / 1_000_000;
            assertThat(took)
                    .as("get(%d ms): the deadline plus at most one check already running (%d ms), plus slack; "
                            + "health checks done: %d", timeout.toMillis(), checkTimeout.toMillis(),
                            pool.stats().pingFailed())
                    .isLessThan(timeout.toMillis() + checkTimeout.toMillis() + 500);
            proxy.blackhole(false);
        }
    }

    /**
     * A check that never ran says nothing about a connection's health. A get whose deadline has
     * passed (here: zero, "only if one can be had without waiting") before it could check an idle
     * connection must leave that connection alone, not close it as failed: otherwise one impatient
     * caller empties the pool of healthy connections.
     */
    @Test
    void getPastItsDeadlineDoesNotCloseHealthyIdleConnections() throws Exception {
        plainBackend();
        ConnPoolConfig config = ConnPoolConfig.builder().minSize(4).maxSize(4).evictInterval(Duration.ZERO)
                .healthCheck(HealthCheck.requestResponse(PING, PONG, Duration.ofSeconds(1))).build();
        try (ConnPool pool = ConnPool.create("impatient", config,
                ConnectionFactory.tcp(proxy.host(), proxy.port(), Duration.ofSeconds(5)))) {
            proxy.awaitOpen(4, Duration.ofSeconds(5));
            try (PooledConnection c = pool.get(Duration.ZERO)) {
                Echo.roundTrip(c); // a connection is fine, if the check could run in no time
            } catch (AcquireTimeoutException expected) {
                // so is a timeout
            }
            PoolStats s = pool.stats();
            assertThat(s.pingFailed()).as("healthy idle connections closed as failed checks: %s", s).isZero();
            assertThat(proxy.accepted()).as("connections opened to replace them").isEqualTo(4);
            Echo.assertFullyUsable(pool);
            assertThat(proxy.accepted()).isEqualTo(4);
        }
    }

    @Test
    void getKeepsItsDeadlineWhileConnectsHangAndTheHungConnectFreesItsRoom() throws Exception {
        SSLContext client = tlsBackend();
        ConnPoolConfig config = ConnPoolConfig.builder().maxSize(2).evictInterval(Duration.ZERO).build();
        try (ConnPool pool = ConnPool.create("hung-connect", config,
                ConnectionFactory.tls("127.0.0.1", proxy.port(), Duration.ofSeconds(5), client))) {
            proxy.blackhole(true); // TCP connects succeed, the TLS handshake never gets an answer
            for (int i = 0; i < 3; i++) {
                long t0 = System.nanoTime();
                assertThatThrownBy(() -> pool.get(Duration.ofMillis(400)))
                        .isInstanceOf(AcquireTimeoutException.class)
                        .hasMessageContaining("hung-connect");
                long took = (System.nanoTime() - t0) / 1_000_000;
                // its own deadline, not the 5 s connect timeout: generous for a loaded machine
                assertThat(took).as("get(400 ms) against a hung connect").isBetween(390L, 2_400L);
            }
            // the hung connects end at their connect timeout and give their room back
            Await.until(() -> pool.stats().connecting() == 0, Duration.ofSeconds(10), () -> "" + pool.stats());
            assertThat(pool.stats().connectFailures()).isPositive();
            assertThat(pool.stats().size()).isZero();
            proxy.blackhole(false);
            // the failed connects started the connect backoff: the pool serves again within it
            Echo.awaitServed(pool, config.maxConnectBackoff().plusSeconds(1)).close();
            Echo.assertFullyUsable(pool);
        }
        proxy.awaitOpen(0, Duration.ofSeconds(5));
    }

    @Test
    void slowConnectsDoNotDelayCallersThatIdleConnectionsCanServe() throws Exception {
        SSLContext client = tlsBackend();
        ConnPoolConfig config = ConnPoolConfig.builder().minSize(4).maxSize(6)
                .evictInterval(Duration.ofMillis(100)).healthCheck(HealthCheck.liveness()).build();
        try (ConnPool pool = ConnPool.create("slow-connects", config,
                ConnectionFactory.tls("127.0.0.1", proxy.port(), Duration.ofSeconds(10), client))) {
            Await.until(() -> pool.stats().available() == 4, Duration.ofSeconds(10), () -> "" + pool.stats());
            proxy.latency(Duration.ofMillis(400)); // a handshake now takes two crossings: 800 ms or more

            // destroy two: the evictor refills to minSize with two slow connects in the background
            for (int i = 0; i < 2; i++) {
                PooledConnection c = pool.get(Duration.ofSeconds(1));
                c.markUnusable();
                c.close();
            }
            Await.until(() -> pool.stats().connecting() == 2, Duration.ofSeconds(5), () -> "" + pool.stats());

            long worst = 0;
            for (int i = 0; i < 50; i++) {
                long t0 = System.nanoTime();
                try (PooledConnection a = pool.get(Duration.ofSeconds(5));
                     PooledConnection b = pool.get(Duration.ofSeconds(5))) {
                    worst = Math.max(worst, System.nanoTime() - t0);
                    assertThat(a.socket()).isNotSameAs(b.socket());
                }
            }
            assertThat(pool.stats().connecting()).as("the connects were in flight all along").isEqualTo(2);
            // waiting behind a connect would take 800 ms or more; anything below is a loaded machine
            assertThat(worst / 1_000_000).as("worst get of two idle connections during slow connects")
                    .isLessThan(700);

            // a third caller has no idle connection left and waits for a connect: it is slow indeed
            List<PooledConnection> held = new ArrayList<>();
            held.add(pool.get(Duration.ofSeconds(5)));
            held.add(pool.get(Duration.ofSeconds(5)));
            long t0 = System.nanoTime();
            held.add(pool.get(Duration.ofSeconds(5)));
            long waited = (System.nanoTime() - t0) / 1_000_000;
            held.forEach(PooledConnection::close);
            assertThat(pool.stats().created()).isGreaterThanOrEqualTo(5);
            assertThat(waited).as("this one waited for a slow connect (the fault is real)").isGreaterThan(200);

            proxy.latency(Duration.ZERO);
            Await.until(() -> pool.stats().connecting() == 0, Duration.ofSeconds(10), () -> "" + pool.stats());
            Echo.assertFullyUsable(pool);
        }
        proxy.awaitOpen(0, Duration.ofSeconds(5));
    }
}
