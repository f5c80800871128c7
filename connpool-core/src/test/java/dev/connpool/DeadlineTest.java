package dev.connpool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.connpool.testkit.AsyncGet;
import dev.connpool.testkit.Await;
import dev.connpool.testkit.Echo;
import dev.connpool.testkit.HangingServer;
import dev.connpool.testkit.NoPoolThreads;
import dev.connpool.testkit.Ports;
import dev.connpool.testkit.Stress;
import dev.connpool.testkit.TestServer;
import dev.connpool.testkit.Worker;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** DESIGN §4 get: one deadline bounds everything; failures before it only when certain. */
@Timeout(30)
@ExtendWith(NoPoolThreads.class)
class DeadlineTest {

    /**
     * Slack allowed past a deadline on a loaded 2-core CI machine: generous, yet far below what each
     * test would take with its deadline broken (a 20 s connect, a connection never returned, a 5 s check).
     */
    private static final Duration SLACK = Duration.ofSeconds(2);

    @Test
    void theDeadlineHoldsWhileAConnectHangs() throws Exception {
        try (HangingServer hanging = new HangingServer();
             ConnPool pool = ConnPool.create("hanging", ConnPoolConfig.builder().maxSize(2).build(),
                     ConnectionFactory.tcp("127.0.0.1", hanging.port(), Duration.ofSeconds(20)))) {
            long start = System.nanoTime();
            assertThatThrownBy(() -> pool.get(Duration.ofMillis(300)))
                    .isInstanceOf(AcquireTimeoutException.class)
                    .hasMessageContaining("hanging")
                    .hasMessageContaining("connecting=1");
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertThat(took).isBetween(Duration.ofMillis(300), Duration.ofMillis(300).plus(SLACK));
            assertThat(pool.stats().timeouts()).isEqualTo(1);
            // close() aborts the hanging connect instead of waiting 20 s for it
            long closeStart = System.nanoTime();
            pool.close();
            assertThat(Duration.ofNanos(System.nanoTime() - closeStart)).isLessThan(Duration.ofSeconds(5));
        }
    }

    /**
     * An {@code acquireTimeout} too long for a {@code long} of nanoseconds (a way to say "wait as
     * long as it takes") is taken as no deadline: {@code get()} waits for a connection to come back,
     * it does not fail at once.
     */
    @Test
    void anAcquireTimeoutBeyondNanosecondsMeansWaitForAConnection() throws Exception {
        try (TestServer server = TestServer.echo();
             ConnPool pool = ConnPool.create("endless", ConnPoolConfig.builder().maxSize(1)
                     .acquireTimeout(Duration.ofSeconds(Long.MAX_VALUE)).evictInterval(Duration.ZERO).build(),
                     ConnectionFactory.tcp(server.host(), server.port(), Duration.ofSeconds(5)))) {
            PooledConnection held = pool.get(Duration.ofSeconds(5));
            CompletableFuture<PooledConnection> waiter = new CompletableFuture<>();
            Worker w = Worker.start("endless-waiter", () -> {
                try {
                    waiter.complete(pool.get());
                } catch (Throwable e) {
                    waiter.completeExceptionally(e);
                }
            });
            try {
                Await.until(() -> waiter.isDone() || pool.stats().waiters() == 1, Duration.ofSeconds(5),
                        () -> "waiting: " + pool.stats());
                assertThat(waiter).as("still waiting").isNotDone();
            } finally {
                held.close();
            }
            waiter.get(5, TimeUnit.SECONDS).close();
            w.join(Duration.ofSeconds(5));
        }
    }

    @Test
    void theDeadlineHoldsAtMaxSize() throws Exception {
        try (TestServer server = TestServer.echo();
             ConnPool pool = ConnPool.create("full", ConnPoolConfig.builder().maxSize(1).build(),
                     ConnectionFactory.tcp(server.host(), server.port(), Duration.ofSeconds(5)))) {
            try (PooledConnection held = pool.get()) {
                long start = System.nanoTime();
                AcquireTimeoutException e = org.junit.jupiter.api.Assertions.assertThrows(
                        AcquireTimeoutException.class, () -> pool.get(Duration.ofMillis(200)));
                Duration took = Duration.ofNanos(System.nanoTime() - start);
                assertThat(took).isBetween(Duration.ofMillis(200), Duration.ofMillis(200).plus(SLACK));
                assertThat(e.stats().active()).isEqualTo(1);
                assertThat(e.getMessage()).contains("'full'", "200 ms", "active=1");
                assertThat(held.socket().isClosed()).isFalse();
            }
            // a zero timeout fails at once when nothing is idle, and succeeds when something is
            try (PooledConnection held = pool.get()) {
                assertThatThrownBy(() -> pool.get(Duration.ZERO)).isInstanceOf(AcquireTimeoutException.class);
            }
            try (PooledConnection again = pool.get(Duration.ZERO)) {
                Echo.roundTrip(again);
            }
        }
    }

    @Test
    void theDeadlineBoundsAHealthCheckThatWaitsForAReply() throws Exception {
        try (TestServer silent = TestServer.start(TestServer.Mode.SILENT);
             ConnPool pool = ConnPool.create("silent", ConnPoolConfig.builder().minSize(1).maxSize(1)
                     .evictInterval(Duration.ZERO)
                     .healthCheck(HealthCheck.requestResponse("PING\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII),
                             "+PONG".getBytes(java.nio.charset.StandardCharsets.US_ASCII), Duration.ofSeconds(5)))
                     .build(),
                     ConnectionFactory.tcp(silent.host(), silent.port(), Duration.ofSeconds(5)))) {
            silent.awaitOpen(1, Duration.ofSeconds(5));
            long start = System.nanoTime();
            assertThatThrownBy(() -> pool.get(Duration.ofMillis(300))).isInstanceOf(AcquireTimeoutException.class);
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertThat(took).isBetween(Duration.ofMillis(300), Duration.ofMillis(300).plus(SLACK));
            // the check was cut short with its request unanswered: that connection is out of step
            assertThat(pool.stats().pingFailed()).isEqualTo(1);
        }
    }

    @Test
    void aFailedConnectFailsTheCallerAtOnceWithTheCause() throws Exception {
        int closedPort = Ports.closed();
        try (ConnPool pool = ConnPool.create("refused", ConnPoolConfig.builder().maxSize(2).build(),
                ConnectionFactory.tcp("127.0.0.1", closedPort, Duration.ofSeconds(5)))) {
            long start = System.nanoTime();
            assertThatThrownBy(() -> pool.get(Duration.ofSeconds(20)))
                    .isInstanceOf(ConnectFailedException.class)
                    .hasMessageContaining("refused")
                    .hasCauseInstanceOf(ConnectException.class);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
            PoolStats s = pool.stats();
            assertThat(s.connectFailures()).isEqualTo(1);
            assertThat(s.size()).isZero();
            assertThat(s.connecting()).isZero();
            assertThat(pool.lastConnectFailure()).containsInstanceOf(ConnectException.class);
        }
    }

    @Test
    void anInterruptedWaiterGetsInterruptedIOExceptionAndKeepsItsFlag() throws Exception {
        try (TestServer server = TestServer.echo();
             ConnPool pool = ConnPool.create("interrupt", ConnPoolConfig.builder().maxSize(1).build(),
                     ConnectionFactory.tcp(server.host(), server.port(), Duration.ofSeconds(5)))) {
            PooledConnection held = pool.get();
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            AtomicBoolean flagKept = new AtomicBoolean();
            Thread waiter = new Thread(() -> {
                try {
                    pool.get(Duration.ofSeconds(20)).close();
                } catch (Throwable t) {
                    thrown.set(t);
                    flagKept.set(Thread.currentThread().isInterrupted());
                }
            });
            waiter.start();
            Await.until(() -> pool.stats().waiters() == 1, Duration.ofSeconds(5), "waiter queued");
            waiter.interrupt();
            waiter.join(5_000);
            assertThat(waiter.isAlive()).isFalse();
            assertThat(thrown.get()).isInstanceOf(InterruptedIOException.class).hasMessageContaining("interrupt");
            assertThat(flagKept).isTrue();
            assertThat(pool.stats().waiters()).isZero();
            // the connection it was waiting for is not lost
            held.close();
            try (PooledConnection c = pool.get(Duration.ofSeconds(1))) {
                Echo.roundTrip(c);
            }
            assertThat(pool.stats().created()).isEqualTo(1);
        }
    }

    @Test
    @Stress
    void aThreadInterruptedWhileItsConnectHangsLeavesAtOnceAndTheRoomIsNotLost() throws Exception {
        // the connect would end on its own after 4 s: an interrupt answered in under 2 s was not waited out
        Duration connectTimeout = Duration.ofSeconds(4);
        try (HangingServer hanging = new HangingServer();
             ConnPool pool = ConnPool.create("interrupt-connect", ConnPoolConfig.builder().maxSize(1).build(),
                     ConnectionFactory.tcp("127.0.0.1", hanging.port(), connectTimeout))) {
            Worker caller = Worker.start("caller", () -> assertThatThrownBy(() -> pool.get(Duration.ofSeconds(20)))
                    .isInstanceOf(InterruptedIOException.class));
            Await.until(() -> pool.stats().connecting() == 1, Duration.ofSeconds(5), "connect started");
            long start = System.nanoTime();
            caller.interrupt();
            caller.join(Duration.ofSeconds(5));
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(connectTimeout.dividedBy(2));
            // the connect times out on its own and frees the room
            Await.until(() -> pool.stats().connecting() == 0, connectTimeout.plusSeconds(5), "connect ended");
            assertThat(pool.stats().connectFailures()).isEqualTo(1);
            assertThat(pool.stats().size()).isZero();
        }
    }

    /**
     * The line where the caller's deadline starts to bound the health check is 2 ms, inclusive: a
     * get(2 ms) hands the check its own deadline, a get just under it hands the check none (the check's
     * own timeout bounds it then; see ZeroTimeoutTest).
     */
    @Test
    void aTwoMillisecondGetBoundsTheHealthCheckByItsDeadlineAndOneJustUnderDoesNot() throws Exception {
        List<Long> deadlines = new CopyOnWriteArrayList<>();
        HealthCheck recording = new HealthCheck() {
            @Override
            public void check(Socket socket) {
            }

            @Override
            public void check(Socket socket, long deadlineNanos) {
                deadlines.add(deadlineNanos);
            }
        };
        try (TestServer server = TestServer.echo();
             ConnPool pool = ConnPool.create("check-line", ConnPoolConfig.builder().maxSize(1).healthCheck(recording).build(),
                     ConnectionFactory.tcp(server.host(), server.port(), Duration.ofSeconds(5)))) {
            pool.get().close(); // a fresh connection is lent unchecked; from here on it is idle
            long before = System.nanoTime();
            try (PooledConnection c = pool.get(Duration.ofNanos(2_000_000))) {
                long after = System.nanoTime();
                assertThat(deadlines).hasSize(1);
                assertThat(deadlines.get(0) - before).as("the caller's deadline, 2 ms after its start")
                        .isBetween(2_000_000L, after - before + 2_000_000L);
            }
            try (PooledConnection c = pool.get(Duration.ofNanos(1_999_999))) {
                assertThat(deadlines).hasSize(2);
                assertThat(Duration.ofNanos(deadlines.get(1) - System.nanoTime())).as("no deadline of the caller's")
                        .isGreaterThan(Duration.ofDays(1));
            }
        }
    }

    /**
     * A check that finds no time to run lends nothing: the get puts the connection back unchecked
     * and times out at its deadline, not before it and not long after it.
     */
    @Test
    void aSkippedHealthCheckTimesTheGetOutAtItsDeadlineAndKeepsTheConnection() throws Exception {
        HealthCheck noTime = socket -> {
            throw new HealthCheckSkippedException("no time left, on purpose");
        };
        try (TestServer server = TestServer.echo();
             ConnPool pool = ConnPool.create("skipped", ConnPoolConfig.builder().maxSize(1).healthCheck(noTime).build(),
                     ConnectionFactory.tcp(server.host(), server.port(), Duration.ofSeconds(5)))) {
            pool.get().close(); // a fresh connection is lent unchecked; from here on it is idle
            // the first timeout pays for loading its classes, which could hide a get that ends early
            assertThatThrownBy(() -> pool.get(Duration.ofMillis(5))).isInstanceOf(AcquireTimeoutException.class);
            Duration timeout = Duration.ofMillis(100);
            long start = System.nanoTime();
            assertThatThrownBy(() -> pool.get(timeout)).isInstanceOf(AcquireTimeoutException.class);
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertThat(took).isBetween(timeout, timeout.plus(SLACK));
            PoolStats stats = pool.stats();
            assertThat(stats.available()).as("put back unchecked: %s", stats).isEqualTo(1);
            assertThat(stats.pingFailed()).isZero();
            assertThat(stats.timeouts()).isEqualTo(2);
        }
    }

    /**
     * A get too short to give the health check a deadline of its own (under 2 ms, get(ZERO) too)
     * still ends at its own deadline when the check skips: the check runs without the caller's
     * deadline, but the skip is waited out to the caller's. It used to wait out the check's
     * (none: about 73 years), so that get(ZERO) never returned while the pool was open.
     */
    @Test
    void aZeroTimeoutGetWhoseHealthCheckSkipsEndsAtOnce() throws Exception {
        HealthCheck noTime = socket -> {
            throw new HealthCheckSkippedException("no time left, on purpose");
        };
        try (TestServer server = TestServer.echo();
             ConnPool pool = ConnPool.create("skipped-zero", ConnPoolConfig.builder().maxSize(1).healthCheck(noTime).build(),
                     ConnectionFactory.tcp(server.host(), server.port(), Duration.ofSeconds(5)))) {
            pool.get().close(); // a fresh connection is lent unchecked; from here on it is idle
            AsyncGet zero = AsyncGet.start(pool, Duration.ZERO);
            assertThat(zero.outcome(SLACK)).isInstanceOf(AcquireTimeoutException.class);
        }
    }
}
