package dev.connpool;

import static org.assertj.core.api.Assertions.assertThat;

import dev.connpool.internal.EngineHooks;
import dev.connpool.testkit.NoPoolThreads;
import dev.connpool.testkit.Stress;
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

/**
 * DESIGN §4 max lifetime + jitter: a ceiling never exceeded, enforced on get, return and by the evictor.
 * Most tests move the engine's clock ({@link EngineHooks#advanceClock}) instead of waiting; one runs on
 * real time, where the coarse clock lags as it does in production.
 */
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
            long t = EngineHooks.clockNanos();
            Socket s = tcp.create();
            openedAt.put(s, t);
            return s;
        };
    }

    @Test
    void connectionsMadeTogetherExpireSpreadOverTheLastTenthOfTheirLifetime() throws Exception {
        Duration max = Duration.ofSeconds(5);
        long step = max.toNanos() / 100;
        long slack = Duration.ofMillis(100).toNanos(); // a connect's start before the factory's reading
        int n = 40;
        Map<Socket, Long> ageAtClose = new ConcurrentHashMap<>();
        try (ConnPool pool = ConnPool.create("jitter", ConnPoolConfig.builder().minSize(n).maxSize(n)
                .maxLifetime(max).evictInterval(Duration.ZERO).healthCheck(HealthCheck.none()).build(),
                recording())) {
            List<Socket> first = new ArrayList<>(openedAt.keySet());
            assertThat(first).hasSize(n);
            long oldest = first.stream().mapToLong(openedAt::get).min().orElseThrow();
            // the oldest at 0.85 × max, then on in steps of a hundredth, an evictor run after each
            EngineHooks.advanceClock(Duration.ofNanos(Math.max(0,
                    oldest + max.toNanos() * 85 / 100 - EngineHooks.clockNanos())));
            for (int i = 0; i < 300 && ageAtClose.size() < n; i++) {
                EngineHooks.advanceClock(Duration.ofNanos(step));
                EngineHooks.evict(pool);
                long now = EngineHooks.clockNanos();
                for (Socket s : first) {
                    if (s.isClosed()) {
                        ageAtClose.computeIfAbsent(s, k -> now - openedAt.get(k));
                    }
                }
            }
            assertThat(ageAtClose).as("every one of the first %d expired", n).hasSize(n);
            long min = ageAtClose.values().stream().mapToLong(Long::longValue).min().orElseThrow();
            long maxSeen = ageAtClose.values().stream().mapToLong(Long::longValue).max().orElseThrow();
            // none before 0.9 × max (the precise clock's last stretch included), none after the ceiling
            // by more than the step the test moves the clock in
            assertThat(Duration.ofNanos(min)).isGreaterThanOrEqualTo(Duration.ofNanos(max.toNanos() * 9 / 10 - slack));
            assertThat(Duration.ofNanos(maxSeen)).isLessThanOrEqualTo(max.plusNanos(2 * step));
            // spread: 40 uniform draws over a tenth of the lifetime cover far more than 3 hundredths
            assertThat(Duration.ofNanos(maxSeen - min)).isGreaterThan(Duration.ofNanos(3 * step));
            assertThat(pool.stats().lifetimeClosed()).isEqualTo(n);
        }
    }

    @Test
    void onTheEnginesClockNoConnectionIsLentPastItsLifetimeNorClosedBeforeNineTenthsOfIt() throws Exception {
        Duration max = Duration.ofSeconds(10);
        long step = max.toNanos() / 200;
        long slack = Duration.ofMillis(100).toNanos();
        try (ConnPool pool = ConnPool.create("ceiling-clock", ConnPoolConfig.builder().maxSize(2).maxLifetime(max)
                .evictInterval(Duration.ZERO).healthCheck(HealthCheck.none()).build(), recording())) {
            long worst = 0;
            int expiries = 0;
            Socket previous = null;
            for (int i = 0; i < 1000; i++) {
                long before = EngineHooks.clockNanos();
                try (PooledConnection c = pool.get()) {
                    worst = Math.max(worst, before - openedAt.get(c.socket()));
                    if (previous != null && c.socket() != previous) {
                        // its lifetime ended since the last get: closed, and not before 0.9 × max
                        assertThat(previous.isClosed()).isTrue();
                        long age = EngineHooks.clockNanos() - openedAt.get(previous);
                        assertThat(Duration.ofNanos(age)).isGreaterThanOrEqualTo(
                                Duration.ofNanos(max.toNanos() * 9 / 10 - slack));
                        expiries++;
                    }
                    previous = c.socket();
                }
                EngineHooks.advanceClock(Duration.ofNanos(step));
            }
            assertThat(Duration.ofNanos(worst)).isLessThanOrEqualTo(max);
            assertThat(expiries).isGreaterThanOrEqualTo(4); // 50 s of clock, lifetimes of 9 to 10 s
            assertThat(pool.stats().lifetimeClosed()).isEqualTo(expiries);
        }
    }

    @Test
    @Stress
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
                long before = EngineHooks.clockNanos(); // the factory's scale (earlier tests may have moved it)
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
        Duration max = Duration.ofMinutes(10);
        try (ConnPool pool = ConnPool.create("on-return", ConnPoolConfig.builder().maxSize(1)
                .maxLifetime(max).evictInterval(Duration.ZERO).build(), recording())) {
            PooledConnection c = pool.get();
            Socket s = c.socket();
            EngineHooks.advanceClock(Duration.ofMinutes(8)); // under 0.9 × max: kept
            c.close();
            assertThat(s.isClosed()).isFalse();
            assertThat(pool.stats().available()).isEqualTo(1);
            c = pool.get();
            assertThat(c.socket()).isSameAs(s);
            EngineHooks.advanceClock(Duration.ofMinutes(3)); // past max: closed on its return
            c.close();
            assertThat(s.isClosed()).isTrue();
            server.awaitOpen(0, Duration.ofSeconds(5));
            PoolStats stats = pool.stats();
            assertThat(stats.lifetimeClosed()).isEqualTo(1);
            assertThat(stats.size()).isZero();
        }
    }
}
