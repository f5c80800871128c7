package dev.connpool.autoconfigure.health;

import static org.assertj.core.api.Assertions.assertThat;

import dev.connpool.ConnPool;
import dev.connpool.ConnectionFactory;
import dev.connpool.autoconfigure.ConnPoolAutoConfiguration;
import dev.connpool.autoconfigure.ConnPoolCustomizer;
import dev.connpool.testkit.Await;
import dev.connpool.testkit.NoPoolThreads;
import dev.connpool.testkit.TestServer;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.CompositeHealthContributor;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * What the README's actuator section promises of a pool's health, in a real context against real
 * loopback backends: it reports reachability (a backend that accepts connections but never answers
 * shows UP while its request-response checks fail in the pool), and a probe slower than the probe
 * timeout goes on in the background for the next poll.
 */
@ExtendWith(NoPoolThreads.AfterProbes.class)
class ConnPoolHealthPromisesTests {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(ConnPoolAutoConfiguration.class,
                    ConnPoolHealthContributorAutoConfiguration.class))
            .withPropertyValues("connpool.pools.orders.host=127.0.0.1");

    private static Health orders(AssertableApplicationContext context) {
        CompositeHealthContributor connpool = context.getBean("connpoolHealthContributor",
                CompositeHealthContributor.class);
        return ((HealthIndicator) connpool.getContributor("orders")).health();
    }

    @Test
    void aBackendThatAcceptsButNeverAnswersShowsUpWhileItsRequestResponseChecksFailInThePool() throws Exception {
        try (TestServer silent = TestServer.start(TestServer.Mode.SILENT)) {
            runner.withPropertyValues("connpool.pools.orders.port=" + silent.port(),
                    "connpool.pools.orders.min-size=1", "connpool.pools.orders.evict-interval=100ms",
                    "connpool.pools.orders.health-check.type=request-response",
                    "connpool.pools.orders.health-check.request=PING\\r\\n",
                    "connpool.pools.orders.health-check.expect=+PONG",
                    "connpool.pools.orders.health-check.timeout=100ms").run(context -> {
                        ConnPool pool = context.getBean("orders", ConnPool.class);
                        // the evictor checks the idle connection, the check fails, a new one is opened
                        Await.until(() -> pool.stats().pingFailed() >= 2, WAIT, () -> "failed checks: " + pool.stats());
                        assertThat(silent.bytesIn()).as("PING sent, never answered").isGreaterThanOrEqualTo(12);
                        Health health = orders(context);
                        assertThat(health.getStatus()).as("%s", health).isEqualTo(Status.UP);
                        assertThat(health.getDetails()).doesNotContainKey("lastConnectError");
                        assertThat(pool.stats().connectFailures()).isZero();
                    });
        }
    }

    /**
     * A probe is a get bounded by the probe timeout on a thread of its own. When the backend is slow
     * to accept, the health request reports DOWN after the probe timeout, but the connect the probe
     * started goes on and lands in the pool, where it vouches for the next poll: UP, with no second
     * connect. Were the connect abandoned with the request, the pool would stay DOWN for the probe
     * interval (10 minutes here).
     */
    @Test
    void aProbeSlowerThanTheProbeTimeoutGoesOnInTheBackgroundForTheNextPoll() throws Exception {
        CountDownLatch connectEntered = new CountDownLatch(1);
        CountDownLatch connectMayEnd = new CountDownLatch(1);
        AtomicInteger connects = new AtomicInteger();
        ConnPoolCustomizer slowConnect = (name, spec) -> {
            ConnectionFactory tcp = spec.connector().build();
            spec.connectionFactory(() -> {
                connects.incrementAndGet();
                connectEntered.countDown();
                try {
                    if (!connectMayEnd.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                        throw new IOException("the test never let the connect go on");
                    }
                } catch (InterruptedException e) {
                    throw new InterruptedIOException("interrupted while the test held the connect");
                }
                return tcp.create();
            });
        };
        try (TestServer server = TestServer.echo()) {
            runner.withPropertyValues("connpool.pools.orders.port=" + server.port(), "connpool.pools.orders.min-size=0",
                    "connpool.health.probe-timeout=200ms", "connpool.health.probe-interval=10m")
                    .withBean(ConnPoolCustomizer.class, () -> slowConnect)
                    .run(context -> {
                        ConnPool pool = context.getBean("orders", ConnPool.class);
                        long t0 = System.nanoTime();
                        Health first = orders(context);
                        assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("waited for the probe")
                                .isGreaterThanOrEqualTo(Duration.ofMillis(200));
                        assertThat(first.getStatus()).isEqualTo(Status.DOWN);
                        assertThat(first.getDetails()).containsEntry("probe", "no connection within 200ms");
                        assertThat(connectEntered.await(5, TimeUnit.SECONDS)).isTrue();
                        // the probe's answer is reused: a second poll starts no second connect
                        assertThat(orders(context).getStatus()).isEqualTo(Status.DOWN);
                        assertThat(pool.stats().connecting()).isEqualTo(1);

                        connectMayEnd.countDown();
                        server.awaitOpen(1, WAIT);
                        Await.until(() -> orders(context).getStatus().equals(Status.UP), WAIT,
                                () -> "UP once the probe's connect landed: " + orders(context));
                        assertThat(pool.stats().size()).isEqualTo(1);
                        assertThat(connects).as("the probe's one connect served every poll").hasValue(1);
                    });
        }
    }
}
