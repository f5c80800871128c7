package dev.connpool;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.connpool.internal.EngineHooks;
import dev.connpool.testkit.Echo;
import dev.connpool.testkit.LineServer;
import dev.connpool.testkit.NoPoolThreads;
import dev.connpool.testkit.TestServer;
import java.io.IOException;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code get(Duration.ZERO)} means "do not wait for a connection", not "no time to check one": an
 * idle healthy connection is lent whatever the check, and a pool at {@code maxSize} with none
 * idle answers at once with a timeout. Every call counts in {@code requests}.
 */
@Timeout(30)
@ExtendWith(NoPoolThreads.class)
class ZeroTimeoutTest {

    private static final Duration BOUND = Duration.ofSeconds(5);
    private static final Duration HALF_A_MILLISECOND = Duration.ofNanos(500_000);
    /** The "at once" of a timeout with nothing to wait for: generous for a loaded CI machine. */
    private static final Duration AT_ONCE = Duration.ofMillis(500);

    private LineServer server;

    @BeforeEach
    void startServer() throws IOException {
        server = LineServer.plain(LineServer.PONG);
    }

    @AfterEach
    void stopServer() throws IOException {
        server.close();
    }

    private static HealthCheck ping() {
        return HealthCheck.requestResponse("PING\r\n".getBytes(US_ASCII), "+PONG".getBytes(US_ASCII),
                Duration.ofSeconds(2));
    }

    private ConnPool pool(String name, int max, HealthCheck check) throws IOException {
        ConnPool pool = ConnPool.create(name, ConnPoolConfig.builder().minSize(1).maxSize(max).healthCheck(check)
                .evictInterval(Duration.ZERO).build(), ConnectionFactory.tcp(server.host(), server.port(), BOUND));
        server.awaitOpen(1, BOUND);
        return pool;
    }

    @Test
    void zeroAndSubMillisecondTimeoutsLendAnIdleConnectionUnderARequestResponseCheck() throws Exception {
        idleConnectionLentWithoutWaiting("zero-ping", ping());
    }

    @Test
    void zeroAndSubMillisecondTimeoutsLendAnIdleConnectionUnderTheLivenessCheck() throws Exception {
        idleConnectionLentWithoutWaiting("zero-liveness", HealthCheck.liveness());
    }

    @Test
    void zeroAndSubMillisecondTimeoutsLendAnIdleConnectionWithoutACheck() throws Exception {
        idleConnectionLentWithoutWaiting("zero-none", HealthCheck.none());
    }

    private void idleConnectionLentWithoutWaiting(String name, HealthCheck check) throws Exception {
        try (ConnPool pool = pool(name, 2, check)) {
            int calls = 0;
            for (Duration timeout : List.of(Duration.ZERO, HALF_A_MILLISECOND)) {
                for (int i = 0; i < 5; i++) {
                    // on this thread (its last connection) and on a fresh one (no such hint)
                    lendAndUse(pool, timeout);
                    CompletableFuture<Throwable> other = new CompletableFuture<>();
                    Thread t = new Thread(() -> {
                        try {
                            lendAndUse(pool, timeout);
                            other.complete(null);
                        } catch (Throwable e) {
                            other.complete(e);
                        }
                    }, "zero-timeout-getter");
                    t.start();
                    t.join(BOUND.toMillis());
                    assertThat(other.get(BOUND.toMillis(), TimeUnit.MILLISECONDS))
                            .as("get(%s) on another thread: %s", timeout, pool.stats()).isNull();
                    calls += 2;
                }
            }
            PoolStats s = pool.stats();
            assertThat(s.successes()).as("%s", s).isEqualTo(calls);
            assertThat(s.requests()).as("%s", s).isEqualTo(calls);
            assertThat(s.timeouts()).as("%s", s).isZero();
            assertThat(s.pingFailed()).as("%s", s).isZero();
            assertThat(s.created()).as("the idle connection served every call: %s", s).isEqualTo(1);
        }
    }

    private static void lendAndUse(ConnPool pool, Duration timeout) throws IOException {
        PooledConnection c;
        try {
            c = pool.get(timeout);
        } catch (AcquireTimeoutException e) {
            throw new AssertionError("get(" + timeout + ") with an idle healthy connection timed out", e);
        }
        try (c) {
            Echo.roundTrip(c);
        }
    }

    @Test
    void zeroAndSubMillisecondTimeoutsAtMaxSizeFailAtOnceAndAreCounted() throws Exception {
        for (HealthCheck check : List.of(HealthCheck.none(), ping())) {
            try (ConnPool pool = pool(check == HealthCheck.none() ? "zero-full-none" : "zero-full-ping", 1, check)) {
                PooledConnection held = pool.get(BOUND);
                PoolStats before = pool.stats();
                int calls = 0;
                for (Duration timeout : List.of(Duration.ZERO, HALF_A_MILLISECOND)) {
                    for (int i = 0; i < 5; i++) {
                        long t0 = System.nanoTime();
                        assertThatThrownBy(() -> pool.get(timeout)).isInstanceOf(AcquireTimeoutException.class)
                                .hasMessageContaining("zero-full");
                        assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("get(%s) at maxSize", timeout)
                                .isLessThan(AT_ONCE);
                        calls++;
                    }
                }
                PoolStats s = pool.stats();
                assertThat(s.timeouts() - before.timeouts()).as("%s", s).isEqualTo(calls);
                assertThat(s.requests() - before.requests()).as("%s", s).isEqualTo(calls);
                assertThat(s.successes()).as("%s", s).isEqualTo(before.successes());
                assertThat(s.size()).as("no connect for a caller that cannot wait for it: %s", s).isEqualTo(1);
                held.close();
                assertThat(pool.stats().available()).isEqualTo(1);
            }
        }
    }

    @Test
    void everyCallCountsInRequestsWhateverItsTimeout() throws Exception {
        try (ConnPool pool = pool("zero-mix", 1, ping())) {
            int calls = 0;
            for (int round = 0; round < 10; round++) {
                // one idle: may be lent at once
                for (Duration timeout : List.of(Duration.ZERO, HALF_A_MILLISECOND, Duration.ofMillis(2), BOUND)) {
                    try (PooledConnection c = pool.get(timeout)) {
                        assertThat(c.socket().isClosed()).isFalse();
                    } catch (AcquireTimeoutException e) {
                        // counted below
                    }
                    calls++;
                }
                // none idle: must time out
                try (PooledConnection held = pool.get(BOUND)) {
                    calls++;
                    for (Duration timeout : List.of(Duration.ZERO, HALF_A_MILLISECOND, Duration.ofMillis(2))) {
                        assertThatThrownBy(() -> pool.get(timeout)).isInstanceOf(AcquireTimeoutException.class);
                        calls++;
                    }
                }
            }
            PoolStats s = pool.stats();
            assertThat(s.requests()).as("every call counted: %s", s).isEqualTo(calls);
            assertThat(s.requests()).as("%s", s).isGreaterThanOrEqualTo(s.successes() + s.timeouts());
            // the 30 gets with nothing idle time out; a 2 ms get whose check this machine ran late may too
            assertThat(s.timeouts()).as("%s", s).isBetween(30L, 40L);
            assertThat(s.successes()).as("%s", s).isEqualTo(calls - s.timeouts());
        }
    }

    /**
     * A get too short to check by its deadline tries every idle connection before it answers: one
     * that fails its check (on top of the stack) is closed and the healthy one below it is lent, as
     * a longer get does. It used to time out after the first it rejected.
     */
    @Test
    void zeroAndSubMillisecondGetsGoOnPastAnIdleConnectionThatFailsItsCheck() throws Exception {
        for (Duration timeout : List.of(Duration.ZERO, Duration.ofNanos(500_000), Duration.ofSeconds(1))) {
            AtomicReference<Socket> failing = new AtomicReference<>();
            HealthCheck failsOne = socket -> {
                if (socket == failing.get()) {
                    throw new IOException("failed its check on purpose");
                }
            };
            try (TestServer backend = TestServer.echo();
                 ConnPool pool = ConnPool.create("zero-retry", ConnPoolConfig.builder().maxSize(2).healthCheck(failsOne)
                         .evictInterval(Duration.ZERO).build(), ConnectionFactory.tcp(backend.host(), backend.port(), BOUND))) {
                PooledConnection bad = pool.get(BOUND);
                PooledConnection good = pool.get(BOUND);
                Socket healthy = good.socket();
                good.close();
                failing.set(bad.socket());
                bad.close(); // the most recently returned: claimed first
                try (PooledConnection c = pool.get(timeout)) {
                    assertThat(c.socket()).as("get(%s)", timeout).isSameAs(healthy);
                }
                assertThat(pool.stats().pingFailed()).as("get(%s)", timeout).isEqualTo(1);
            }
        }
    }

    /** The same with no health check: the idle connection on top is past its lifetime, the one below is not. */
    @Test
    void aZeroTimeoutGetGoesOnPastAnExpiredIdleConnection() throws Exception {
        try (TestServer backend = TestServer.echo();
             ConnPool pool = ConnPool.create("zero-expired", ConnPoolConfig.builder().maxSize(2).healthCheck(HealthCheck.none())
                     .maxLifetime(Duration.ofMinutes(10)).evictInterval(Duration.ZERO).build(),
                     ConnectionFactory.tcp(backend.host(), backend.port(), BOUND))) {
            PooledConnection old = pool.get(BOUND);
            EngineHooks.advanceClock(Duration.ofMinutes(5));
            PooledConnection young = pool.get(BOUND);
            Socket live = young.socket();
            young.close();
            old.close(); // on top
            EngineHooks.advanceClock(Duration.ofMinutes(6)); // the old one 11 minutes old (past 10), the young one 6 (under 9)
            try (PooledConnection c = pool.get(Duration.ZERO)) {
                assertThat(c.socket()).isSameAs(live);
            }
        }
    }
}
