package dev.connpool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.connpool.internal.EngineHooks;
import dev.connpool.testkit.Await;
import dev.connpool.testkit.EchoBackendTest;
import dev.connpool.testkit.NoPoolThreads;
import dev.connpool.testkit.SwitchableFactory;
import dev.connpool.testkit.TestServer;
import java.io.IOException;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** DESIGN §4 evictor: checks idle connections without blocking get, refills to minSize, stops on close. */
class EvictorTest extends EchoBackendTest {

    @Test
    void deadIdleConnectionsAreReplacedUpToMinSizeWithoutTraffic() throws Exception {
        try (ConnPool pool = ConnPool.create("refill", ConnPoolConfig.builder().minSize(3).maxSize(5)
                .evictInterval(Duration.ofMillis(30)).build(), tcp())) {
            server.awaitOpen(3, Duration.ofSeconds(5));
            server.resetAll();
            // the server counts a connection when it accepts it, the pool when the connect has returned
            Await.until(() -> server.accepted() == 6 && pool.stats().pingFailed() == 3 && pool.stats().size() == 3,
                    Duration.ofSeconds(5), () -> "accepted " + server.accepted() + ", " + pool.stats());
            server.awaitOpen(3, Duration.ofSeconds(5));
            PoolStats s = pool.stats();
            assertThat(s.size()).isEqualTo(3);
            assertThat(s.available()).isEqualTo(3);
            assertThat(s.requests()).isZero();
        }
    }

    @Test
    void theEvictorRefillsAfterTheBackendComesBack() throws Exception {
        int port = server.port();
        try (ConnPool pool = ConnPool.create("outage", ConnPoolConfig.builder().minSize(2).maxSize(4)
                .evictInterval(Duration.ofMillis(30)).build(), tcp())) {
            server.awaitOpen(2, Duration.ofSeconds(5));
            server.close();
            Await.until(() -> pool.stats().size() == 0 && pool.lastConnectFailure().isPresent(),
                    Duration.ofSeconds(5), () -> "pool notices the outage: " + pool.stats());
            server = TestServer.start(TestServer.Mode.ECHO, port, null);
            Await.until(() -> pool.stats().size() == 2, Duration.ofSeconds(5), () -> "refilled: " + pool.stats());
            assertThat(pool.lastConnectFailure()).isEmpty();
            server.awaitOpen(2, Duration.ofSeconds(5));
        }
    }

    @Test
    void aSlowCheckByTheEvictorDoesNotBlockCallers() throws Exception {
        CountDownLatch evictorInCheck = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        HealthCheck slowOnEvictor = socket -> {
            if (Thread.currentThread().getName().endsWith("-housekeeper")) {
                evictorInCheck.countDown();
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    throw new java.io.InterruptedIOException();
                }
            }
        };
        try (ConnPool pool = ConnPool.create("slow-check", ConnPoolConfig.builder().minSize(2).maxSize(2)
                .healthCheck(slowOnEvictor).evictInterval(Duration.ofMillis(20)).build(), tcp())) {
            assertThat(evictorInCheck.await(5, TimeUnit.SECONDS)).isTrue();
            // served while the evictor is still inside its check (held until we release it, up to 10 s)
            try (PooledConnection c = pool.get(Duration.ofSeconds(5))) {
                assertThat(release.getCount()).isEqualTo(1);
                assertThat(pool.stats().active()).isEqualTo(2); // ours, and the one under check
            } finally {
                release.countDown();
            }
        }
    }

    @Test
    void closeStopsAndJoinsTheEvictor() throws Exception {
        ConnPool pool = ConnPool.create("evictor-join", ConnPoolConfig.builder().maxSize(1).minSize(1)
                .evictInterval(Duration.ofMillis(10)).build(), tcp());
        Await.until(() -> NoPoolThreads.poolThreads().contains("connpool-evictor-join-housekeeper"),
                Duration.ofSeconds(5), "housekeeping thread running");
        pool.close();
        assertThat(NoPoolThreads.poolThreads()).doesNotContain("evictor-join");
    }

    @Test
    void evictIdleClosesIdleConnectionsNowAndRefills() throws Exception {
        try (ConnPool pool = ConnPool.create("evict-now", ConnPoolConfig.builder().minSize(2).maxSize(4)
                .evictInterval(Duration.ZERO).build(), tcp())) {
            PooledConnection held = pool.get();
            assertThat(pool.evictIdle()).isEqualTo(1);
            Await.until(() -> pool.stats().size() == 2, Duration.ofSeconds(5), () -> "refilled: " + pool.stats());
            assertThat(pool.stats().idleClosed()).isEqualTo(1);
            assertThat(held.socket().isClosed()).isFalse();
            held.close();
        }
    }

    // ---- one evictor run on the test thread (EngineHooks.evict), the schedule off ----

    /** One idle connection, opened at start; no schedule, so only {@link EngineHooks#evict} checks it. */
    private ConnPool oneIdle(String name, HealthCheck check) throws IOException {
        return ConnPool.create(name, ConnPoolConfig.builder().minSize(1).maxSize(1).healthCheck(check)
                .evictInterval(Duration.ZERO).build(), tcp());
    }

    /** The evictor has no caller waiting: it hands its checks no deadline, each is bounded by its own timeout. */
    @Test
    void theEvictorGivesItsChecksNoCallersDeadline() throws Exception {
        AtomicLong left = new AtomicLong(Long.MIN_VALUE);
        HealthCheck recording = new HealthCheck() {
            @Override
            public void check(Socket socket) {
            }

            @Override
            public void check(Socket socket, long deadlineNanos) {
                left.set(deadlineNanos - System.nanoTime());
            }
        };
        try (ConnPool pool = oneIdle("evictor-deadline", recording)) {
            EngineHooks.evict(pool);
            assertThat(left.get()).as("time the evictor's check was given, ns")
                    .isGreaterThan(TimeUnit.DAYS.toNanos(365));
            assertThat(pool.stats().available()).isEqualTo(1);
        }
    }

    @Test
    void anUnhealthyIdleConnectionIsClosedByTheEvictorAndCountedAsAFailedCheck() throws Exception {
        try (ConnPool pool = oneIdle("evictor-unhealthy", socket -> {
            throw new IOException("unhealthy");
        })) {
            EngineHooks.evict(pool); // returns normally: a failed check is an answer, not an error
            Await.until(() -> pool.stats().pingFailed() == 1 && server.accepted() == 2, Duration.ofSeconds(5),
                    () -> "closed and replaced: " + pool.stats());
        }
    }

    /** An Error from a check is not swallowed by the evictor (the connection is closed first). */
    @Test
    void anErrorFromTheEvictorsCheckClosesTheConnectionAndIsRethrown() throws Exception {
        AssertionError broken = new AssertionError("a broken check");
        try (ConnPool pool = oneIdle("evictor-error", socket -> {
            throw broken;
        })) {
            assertThatThrownBy(() -> EngineHooks.evict(pool)).isSameAs(broken);
            assertThat(pool.stats().pingFailed()).as("closed as unhealthy before it propagated").isEqualTo(1);
        }
    }

    /** A StackOverflowError is the check's own failure (a runaway recursion), not the JVM's: not rethrown. */
    @Test
    void aStackOverflowInTheEvictorsCheckOnlyFailsTheCheck() throws Exception {
        try (ConnPool pool = oneIdle("evictor-overflow", socket -> {
            throw new StackOverflowError("runaway check");
        })) {
            EngineHooks.evict(pool);
            assertThat(pool.stats().pingFailed()).isEqualTo(1);
        }
    }

    /** A check that found no time to run leaves the connection as good as before: kept, and lendable. */
    @Test
    void aCheckSkippedByTheEvictorKeepsTheConnection() throws Exception {
        try (ConnPool pool = oneIdle("evictor-skipped", socket -> {
            throw new HealthCheckSkippedException("no time");
        })) {
            EngineHooks.evict(pool);
            PoolStats s = pool.stats();
            assertThat(s.pingFailed()).isZero();
            assertThat(s.size()).isEqualTo(1);
            assertThat(s.available()).as("put back: " + s).isEqualTo(1);
        }
    }

    /** A check the evictor ran successfully shows the backend answers: the last connect failure is forgotten. */
    @Test
    void aPassedEvictorCheckClearsTheLastConnectFailure() throws Exception {
        SwitchableFactory factory = new SwitchableFactory(tcp());
        HealthCheck passes = socket -> { };
        try (ConnPool pool = ConnPool.create("evictor-reached", ConnPoolConfig.builder().minSize(1).maxSize(2)
                .healthCheck(passes).maxConnectBackoff(Duration.ZERO).evictInterval(Duration.ZERO).build(), factory)) {
            PooledConnection held = pool.get(Duration.ofSeconds(5));
            factory.switchTo(SwitchableFactory.refusing());
            assertThatThrownBy(() -> pool.get(Duration.ofSeconds(5))).isInstanceOf(ConnectFailedException.class);
            held.close();
            assertThat(pool.lastConnectFailure()).as("nothing reached the backend since").isPresent();
            EngineHooks.evict(pool);
            assertThat(pool.lastConnectFailure()).isEmpty();
        }
    }
}
