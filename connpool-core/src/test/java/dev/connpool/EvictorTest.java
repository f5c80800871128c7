package dev.connpool;

import static org.assertj.core.api.Assertions.assertThat;

import dev.connpool.testkit.Await;
import dev.connpool.testkit.EchoBackendTest;
import dev.connpool.testkit.NoPoolThreads;
import dev.connpool.testkit.TestServer;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
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
            long start = System.nanoTime();
            try (PooledConnection c = pool.get(Duration.ofSeconds(2))) {
                assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(500));
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
}
