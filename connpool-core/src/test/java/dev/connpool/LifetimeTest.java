package dev.connpool;

import static org.assertj.core.api.Assertions.assertThat;

import dev.connpool.testkit.Await;
import dev.connpool.testkit.NoPoolThreads;
import dev.connpool.testkit.TestServer;
import java.io.IOException;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** DESIGN §4 max lifetime + jitter: a ceiling never exceeded, enforced on get, return and by the evictor. */
@Timeout(30)
@ExtendWith(NoPoolThreads.class)
class LifetimeTest {

    private TestServer server;
    /** When each socket was opened, by the factory. */
    private final Map<Socket, Long> openedAt = new ConcurrentHashMap<>();

    @BeforeEach
    void startServer() throws IOException {
        server = TestServer.echo();
    }

    @AfterEach
    void stopServer() throws IOException {
        server.close();
    }

    private ConnectionFactory recording() {
        ConnectionFactory tcp = ConnectionFactory.tcp(server.host(), server.port(), Duration.ofSeconds(5));
        return () -> {
            long t = System.nanoTime();
            Socket s = tcp.create();
            openedAt.put(s, t);
            return s;
        };
    }

    @Test
    void connectionsMadeTogetherExpireSpreadOverTheLastTenthOfTheirLifetime() throws Exception {
        Duration max = Duration.ofMillis(1000);
        int n = 40;
        Map<Socket, Long> closedAfter = new ConcurrentHashMap<>();
        try (ConnPool pool = ConnPool.create("jitter", ConnPoolConfig.builder().minSize(n).maxSize(n)
                .maxLifetime(max).evictInterval(Duration.ofMillis(10)).healthCheck(HealthCheck.none()).build(),
                recording())) {
            List<Socket> first = new ArrayList<>(openedAt.keySet());
            assertThat(first).hasSize(n);
            Await.until(() -> {
                for (Socket s : first) {
                    if (s.isClosed()) {
                        closedAfter.computeIfAbsent(s, k -> System.nanoTime() - openedAt.get(k));
                    }
                }
                return closedAfter.size() == n;
            }, Duration.ofSeconds(5), () -> closedAfter.size() + " of " + n + " expired");
            long min = closedAfter.values().stream().mapToLong(Long::longValue).min().orElseThrow();
            long maxSeen = closedAfter.values().stream().mapToLong(Long::longValue).max().orElseThrow();
            // none before 0.9 × max, none long after the ceiling (the evictor runs every 10 ms)
            assertThat(Duration.ofNanos(min)).isGreaterThanOrEqualTo(Duration.ofMillis(900));
            assertThat(Duration.ofNanos(maxSeen)).isLessThan(max.plusSeconds(1));
            // spread: 40 uniform draws over 100 ms cover far more than 30 ms
            assertThat(Duration.ofNanos(maxSeen - min)).isGreaterThan(Duration.ofMillis(30));
            // a socket is closed before its close is counted: wait for the count
            Await.until(() -> pool.stats().lifetimeClosed() >= n, Duration.ofSeconds(5),
                    () -> "lifetime closes counted: " + pool.stats());
        }
    }

    @Test
    void noConnectionIsEverLentPastItsLifetime() throws Exception {
        // the lifetime checks read the precise clock for the last tenth of a lifetime, so this holds
        // even on a machine loaded enough to delay the coarse clock by tens of milliseconds
        Duration max = Duration.ofMillis(600);
        try (ConnPool pool = ConnPool.create("ceiling", ConnPoolConfig.builder().maxSize(2).maxLifetime(max)
                .evictInterval(Duration.ZERO).healthCheck(HealthCheck.none()).build(), recording())) {
            long end = System.nanoTime() + Duration.ofMillis(2500).toNanos();
            long worst = 0;
            int leases = 0;
            while (System.nanoTime() < end) {
                // the check inside get() happens after this reading, so the connection was at least
                // this old when it passed: a sound lower bound, immune to being descheduled after get()
                long before = System.nanoTime();
                try (PooledConnection c = pool.get()) {
                    long age = before - openedAt.get(c.socket());
                    worst = Math.max(worst, age);
                    leases++;
                }
            }
            assertThat(Duration.ofNanos(worst)).isLessThanOrEqualTo(max);
            assertThat(leases).isGreaterThan(100);
            assertThat(pool.stats().lifetimeClosed()).isGreaterThanOrEqualTo(3);
        }
    }

    @Test
    void aConnectionReturnedAfterItsLifetimeIsClosedNotKept() throws Exception {
        try (ConnPool pool = ConnPool.create("on-return", ConnPoolConfig.builder().maxSize(1)
                .maxLifetime(Duration.ofMillis(150)).evictInterval(Duration.ZERO).build(), recording())) {
            PooledConnection c = pool.get();
            Socket s = c.socket();
            GetTest.pause(Duration.ofMillis(200));
            c.close();
            assertThat(s.isClosed()).isTrue();
            server.awaitOpen(0, Duration.ofSeconds(5));
            PoolStats stats = pool.stats();
            assertThat(stats.lifetimeClosed()).isEqualTo(1);
            assertThat(stats.size()).isZero();
        }
    }
}
