package dev.connpool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.connpool.testkit.AsyncGet;
import dev.connpool.testkit.Await;
import dev.connpool.testkit.NoPoolThreads;
import dev.connpool.testkit.Stress;
import dev.connpool.testkit.SwitchableFactory;
import dev.connpool.testkit.TestServer;
import dev.connpool.testkit.Worker;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** DESIGN §4 stats: cheap, and every snapshot consistent while the pool is hammered. */
@Timeout(60)
@ExtendWith(NoPoolThreads.class)
class StatsTest {

    @Test
    @Stress
    void everySnapshotSatisfiesTheInequalitiesWhile16ThreadsHammer() throws Exception {
        try (TestServer server = TestServer.echo();
             ConnPool pool = ConnPool.create("hammered", ConnPoolConfig.builder().minSize(2).maxSize(8)
                     .increment(2).idleTimeout(Duration.ofMillis(20)).maxLifetime(Duration.ofMillis(100))
                     .evictInterval(Duration.ofMillis(5)).build(),
                     ConnectionFactory.tcp(server.host(), server.port(), Duration.ofSeconds(5)))) {
            CountDownLatch done = new CountDownLatch(1);
            List<String> violations = new CopyOnWriteArrayList<>();
            AtomicInteger snapshots = new AtomicInteger();
            Worker sampler = Worker.start("sampler", () -> {
                PoolStats prev = pool.stats();
                while (done.getCount() > 0) {
                    PoolStats s = pool.stats();
                    snapshots.incrementAndGet();
                    if (s.active() < 0 || s.available() < 0 || s.waiters() < 0 || s.connecting() < 0
                            || s.active() + s.available() > s.size() || s.size() > 8
                            || s.size() + s.connecting() > 8) {
                        violations.add(s.toString());
                    }
                    InvariantsTest.check(prev, s, violations);
                    prev = s;
                }
            });
            try {
                InvariantsTest.onThreads(16, Duration.ofSeconds(40), () -> {
                    ThreadLocalRandom r = ThreadLocalRandom.current();
                    for (int i = 0; i < 1500; i++) {
                        try (PooledConnection c = pool.get(Duration.ofSeconds(10))) {
                            if (r.nextInt(100) == 0) {
                                c.markUnusable();
                            }
                            if (r.nextInt(10) == 0) {
                                Thread.yield();
                            }
                        }
                    }
                });
            } finally {
                done.countDown();
                sampler.join(Duration.ofSeconds(5));
            }
            assertThat(snapshots.get()).isGreaterThan(100);
            assertThat(violations).isEmpty();
            PoolStats end = pool.stats();
            assertThat(end.requests()).isEqualTo(16 * 1500);
            assertThat(end.successes()).isEqualTo(16 * 1500);
            assertThat(end.waiters()).isZero();
            // the evictor (every 5 ms) holds an idle connection while it checks it, and counts as active
            Await.until(() -> pool.stats().active() == 0, Duration.ofSeconds(5), () -> "nothing lent: " + pool.stats());
        }
    }

    private static final Duration BOUND = Duration.ofSeconds(5);

    private static ConnectionFactory tcp(TestServer server) {
        return ConnectionFactory.tcp(server.host(), server.port(), Duration.ofSeconds(5));
    }

    /** A connection's own count of the gets it served outlives it: requests and successes never shrink. */
    @Test
    void theGetsAConnectionServedStayCountedAfterItIsClosed() throws Exception {
        try (TestServer server = TestServer.echo();
             ConnPool pool = ConnPool.create("retired-leases", ConnPoolConfig.builder().maxSize(1)
                     .healthCheck(HealthCheck.none())
                     .evictInterval(Duration.ZERO).build(), tcp(server))) {
            pool.get(BOUND).close(); // connects
            pool.get(BOUND).close(); // the idle one, unchecked: the lock-free path
            pool.get(BOUND).close();
            PooledConnection last = pool.get(BOUND);
            last.markUnusable();
            last.close(); // closed: its counts move to the pool's
            PoolStats s = pool.stats();
            assertThat(s.size()).isZero();
            assertThat(s.requests()).isEqualTo(4);
            assertThat(s.successes()).isEqualTo(4);
        }
    }

    /** Likewise the checks it skipped within {@code healthCheckAfterIdle}. */
    @Test
    void theChecksAConnectionSkippedStayCountedAfterItIsClosed() throws Exception {
        try (TestServer server = TestServer.echo();
             ConnPool pool = ConnPool.create("retired-skips", ConnPoolConfig.builder().maxSize(1)
                     .healthCheck(HealthCheck.liveness()).healthCheckAfterIdle(Duration.ofMinutes(10))
                     .evictInterval(Duration.ZERO).build(), tcp(server))) {
            pool.get(BOUND).close(); // connects
            pool.get(BOUND).close(); // idle under 10 minutes: no check
            PooledConnection last = pool.get(BOUND);
            last.markUnusable();
            last.close();
            PoolStats s = pool.stats();
            assertThat(s.size()).isZero();
            assertThat(s.healthChecksSkipped()).isEqualTo(2);
            assertThat(s.successes()).isEqualTo(3);
        }
    }

    /** A connection handed to a waiter within the window skips the check too, and is counted. */
    @Test
    void aCheckSkippedForAWaiterIsCounted() throws Exception {
        try (TestServer server = TestServer.echo();
             ConnPool pool = ConnPool.create("handed-skip", ConnPoolConfig.builder().maxSize(1)
                     .healthCheck(HealthCheck.liveness()).healthCheckAfterIdle(Duration.ofMinutes(10))
                     .evictInterval(Duration.ZERO).build(), tcp(server))) {
            PooledConnection held = pool.get(BOUND);
            AsyncGet waiter = AsyncGet.start(pool, BOUND);
            Await.until(() -> pool.stats().waiters() == 1, BOUND, () -> "waiting: " + pool.stats());
            held.close(); // handed over, idle for no time
            waiter.connection(BOUND).close();
            PoolStats s = pool.stats();
            assertThat(s.successes()).isEqualTo(2);
            assertThat(s.healthChecksSkipped()).isEqualTo(1);
        }
    }

    /**
     * The last connect failure is forgotten once gets succeed again without a connect: counted
     * together, a get on the lock-free path and one handed a returned connection.
     */
    @Test
    void theLastConnectFailureIsForgottenOnceGetsSucceedAgain() throws Exception {
        try (TestServer server = TestServer.echo()) {
            SwitchableFactory factory = new SwitchableFactory(tcp(server));
            try (ConnPool pool = ConnPool.create("forgotten", ConnPoolConfig.builder().maxSize(2)
                    .healthCheck(HealthCheck.none())
                    .maxConnectBackoff(Duration.ZERO).evictInterval(Duration.ZERO).build(), factory)) {
                PooledConnection held = pool.get(BOUND);
                PooledConnection other = pool.get(BOUND);
                other.markUnusable();
                other.close();
                factory.switchTo(SwitchableFactory.refusing());
                assertThatThrownBy(() -> pool.get(BOUND)).isInstanceOf(ConnectFailedException.class);
                assertThat(pool.lastConnectFailure()).isPresent();
                pool.resize(0, 1); // from now on a get waits for the one connection instead of connecting
                held.close();
                held = pool.get(BOUND); // the idle one: the lock-free path
                AsyncGet waiter = AsyncGet.start(pool, BOUND);
                Await.until(() -> pool.stats().waiters() == 1, BOUND, () -> "waiting: " + pool.stats());
                held.close(); // handed to the waiter
                waiter.connection(BOUND).close();
                assertThat(pool.stats().successes()).isEqualTo(4);
                assertThat(pool.lastConnectFailure()).isEmpty();
                assertThat(factory.attempts()).as("no connect since the failure").isEqualTo(3);
            }
        }
    }
}
