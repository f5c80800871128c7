package dev.connpool.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import dev.connpool.ConnPool;
import dev.connpool.ConnPoolConfig;
import dev.connpool.ConnPoolException;
import dev.connpool.ConnectFailedException;
import dev.connpool.ConnectionFactory;
import dev.connpool.HealthCheck;
import dev.connpool.PoolStats;
import dev.connpool.PooledConnection;
import dev.connpool.testkit.Await;
import dev.connpool.testkit.Echo;
import dev.connpool.testkit.NoPoolThreads;
import dev.connpool.testkit.TestServer;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Bad input, each with a clear error and no leaked room: invalid settings, null arguments, a
 * factory that returns null, throws or returns garbage, a health check that throws or hangs, and
 * a caller interrupted while its connect runs. After each fault the pool must still lend
 * {@code maxSize} connections at once ({@link Echo#assertFullyUsable}).
 */
@Timeout(60)
@ExtendWith(NoPoolThreads.class)
class BadInputTest {

    private TestServer backend;

    @BeforeEach
    void backend() throws IOException {
        backend = TestServer.echo();
    }

    @AfterEach
    void stop() throws IOException {
        backend.close();
    }

    private ConnectionFactory tcp() {
        return ConnectionFactory.tcp(backend.host(), backend.port(), Duration.ofSeconds(5));
    }

    private static ConnPoolConfig.Builder small() {
        return ConnPoolConfig.builder().maxSize(3).evictInterval(Duration.ZERO);
    }

    /**
     * A bad connect starts the connect backoff, which refuses the gets right after it
     * (ConnectBackoffTest); the factory tests here are about the room a bad connect held, so they
     * connect again at once.
     */
    private static ConnPoolConfig.Builder smallWithoutBackoff() {
        return small().maxConnectBackoff(Duration.ZERO);
    }

    // ---- configuration ----------------------------------------------------------------------

    // every broken rule of the builder: ConnPoolConfigTest's table

    @Test
    void boundaryValuesAreAccepted() {
        assertThatCode(() -> ConnPoolConfig.builder().maxSize(1).minSize(1).increment(1).maxWaiters(0)
                .idleTimeout(Duration.ZERO).maxLifetime(Duration.ZERO).acquireTimeout(Duration.ZERO)
                .evictInterval(Duration.ofSeconds(-1)).build()).doesNotThrowAnyException();
        assertThat(ConnPoolConfig.builder().maxSize(4).minSize(4).increment(4).build().increment()).isEqualTo(4);
    }

    // ---- null and out-of-range arguments -------------------------------------------------------

    @Test
    void nullAndInvalidArgumentsFailClearlyAndLeakNothing() throws Exception {
        ConnPoolConfig config = small().build();
        assertThatThrownBy(() -> ConnPool.create(null, config, tcp()))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("name");
        assertThatThrownBy(() -> ConnPool.create(" ", config, tcp()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("name");
        assertThatThrownBy(() -> ConnPool.create("p", null, tcp()))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("config");
        assertThatThrownBy(() -> ConnPool.create("p", config, null))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("factory");

        try (ConnPool pool = ConnPool.create("args", config, tcp())) {
            assertThatThrownBy(() -> pool.get(null))
                    .isInstanceOf(NullPointerException.class).hasMessageContaining("timeout");
            assertThatThrownBy(() -> pool.get(Duration.ofMillis(-1)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("timeout");
            assertThatThrownBy(() -> pool.close(null))
                    .isInstanceOf(NullPointerException.class).hasMessageContaining("gracePeriod");
            assertThatThrownBy(() -> pool.close(Duration.ofSeconds(-1)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("gracePeriod");
            assertThatThrownBy(() -> pool.addMetricsTracker(null))
                    .isInstanceOf(NullPointerException.class).hasMessageContaining("tracker");
            assertThat(pool.isClosed()).as("a rejected close(grace) must not close the pool").isFalse();
            PoolStats s = pool.stats();
            assertThat(s.requests()).as("rejected calls are no requests").isZero();
            Echo.assertFullyUsable(pool);
        }
        backend.awaitOpen(0, Duration.ofSeconds(5));
    }

    @Test
    void factoryAndHealthCheckArgumentsAreChecked() {
        byte[] ping = "PING\r\n".getBytes(StandardCharsets.US_ASCII);
        assertThatThrownBy(() -> HealthCheck.requestResponse(null, ping, Duration.ofSeconds(1)))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("request");
        assertThatThrownBy(() -> HealthCheck.requestResponse(new byte[0], ping, Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("request");
        assertThatThrownBy(() -> HealthCheck.requestResponse(ping, new byte[0], Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expectedReplyPrefix");
        assertThatThrownBy(() -> HealthCheck.requestResponse(ping, ping, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("timeout");
        assertThatThrownBy(() -> ConnectionFactory.tcp(null, 1, Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("host");
        assertThatThrownBy(() -> ConnectionFactory.tcp("localhost", 0, Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("port");
        assertThatThrownBy(() -> ConnectionFactory.tcp("localhost", 65536, Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("port");
        assertThatThrownBy(() -> ConnectionFactory.tcp("localhost", 1, null))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("connectTimeout");
        assertThatThrownBy(() -> ConnectionFactory.tcp("localhost", 1, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("connectTimeout");
    }

    // ---- a misbehaving factory ---------------------------------------------------------------

    @Test
    void factoryReturningNullFailsThatGetOnly() throws Exception {
        ScriptedFactory factory = new ScriptedFactory(tcp()).then(ScriptedFactory.RETURN_NULL);
        try (ConnPool pool = ConnPool.create("null-factory", smallWithoutBackoff().build(), factory)) {
            assertThatThrownBy(() -> pool.get(Duration.ofSeconds(2)))
                    .isInstanceOf(ConnectFailedException.class)
                    .hasMessageContaining("null-factory")
                    .hasRootCauseMessage("connection factory of pool 'null-factory' returned null");
            assertRoomFreed(pool, 1);
            Echo.assertFullyUsable(pool);
        }
        backend.awaitOpen(0, Duration.ofSeconds(5));
    }

    @Test
    void factoryThrowingRuntimeExceptionFailsThatGetWithTheCauseKept() throws Exception {
        ScriptedFactory factory = new ScriptedFactory(tcp()).then(ScriptedFactory.THROW_RUNTIME);
        try (ConnPool pool = ConnPool.create("buggy-factory", smallWithoutBackoff().build(), factory)) {
            assertThatThrownBy(() -> pool.get(Duration.ofSeconds(2)))
                    .isInstanceOf(ConnectFailedException.class)
                    .hasCauseInstanceOf(IllegalStateException.class)
                    .hasRootCauseMessage("factory bug");
            assertThat(pool.lastConnectFailure()).get().isInstanceOf(IllegalStateException.class);
            assertRoomFreed(pool, 1);
            Echo.assertFullyUsable(pool);
            assertThat(pool.lastConnectFailure()).as("cleared by a good connect").isEmpty();
        }
    }

    @Test
    void factoryReturningAnUnconnectedSocketIsRefusedAndTheSocketClosed() throws Exception {
        AtomicReference<Socket> handedOut = new AtomicReference<>();
        ScriptedFactory factory = new ScriptedFactory(tcp()).then(real -> {
            Socket s = new Socket();
            handedOut.set(s);
            return s;
        });
        try (ConnPool pool = ConnPool.create("garbage-factory", smallWithoutBackoff().build(), factory)) {
            assertThatThrownBy(() -> pool.get(Duration.ofSeconds(2)))
                    .isInstanceOf(ConnectFailedException.class)
                    .satisfies(e -> assertThat(e.getCause()).hasMessageContaining("not connected"));
            assertThat(handedOut.get().isClosed()).as("the pool closes what it refuses").isTrue();
            assertRoomFreed(pool, 1);
            Echo.assertFullyUsable(pool);
        }
    }

    @Test
    void failingFactoryAtCreateFailsFastAndLeavesNothingBehind() throws Exception {
        ScriptedFactory factory = new ScriptedFactory(tcp())
                .then(ScriptedFactory.THROW_IO, ScriptedFactory.THROW_RUNTIME, ScriptedFactory.RETURN_NULL);
        ConnPoolConfig config = ConnPoolConfig.builder().minSize(3).maxSize(3).build();
        assertThatThrownBy(() -> ConnPool.create("fail-fast", config, factory))
                .isInstanceOf(ConnectFailedException.class)
                .satisfies(e -> assertThat(e.getSuppressed()).hasSize(2));
        backend.awaitOpen(0, Duration.ofSeconds(5));
        // NoPoolThreads checks that no evictor or connector thread survived the failed create
    }

    @Test
    void failingFactoryAtCreateWithoutFailFastRecoversInTheBackground() throws Exception {
        ScriptedFactory factory = new ScriptedFactory(tcp())
                .then(ScriptedFactory.THROW_IO, ScriptedFactory.THROW_RUNTIME, ScriptedFactory.RETURN_NULL);
        ConnPoolConfig config = ConnPoolConfig.builder().minSize(3).maxSize(3).failFast(false)
                .evictInterval(Duration.ofMillis(50)).build();
        try (ConnPool pool = ConnPool.create("lenient", config, factory)) {
            Await.until(() -> pool.stats().size() == 3, Duration.ofSeconds(5), () -> "refill: " + pool.stats());
            assertThat(pool.stats().connectFailures()).isEqualTo(3);
            Echo.assertFullyUsable(pool);
        }
    }

    // ---- a misbehaving health check --------------------------------------------------------

    @Test
    void healthCheckThrowingRuntimeExceptionCountsAsFailedAndGetGoesOn() throws Exception {
        AtomicInteger bad = new AtomicInteger(2);
        HealthCheck buggy = socket -> {
            if (bad.getAndDecrement() > 0) {
                throw new IllegalStateException("check bug");
            }
        };
        ConnPoolConfig config = small().minSize(2).healthCheck(buggy).build();
        try (ConnPool pool = ConnPool.create("buggy-check", config, tcp())) {
            backend.awaitOpen(2, Duration.ofSeconds(5));
            try (PooledConnection c = pool.get(Duration.ofSeconds(2))) {
                Echo.roundTrip(c);
            }
            PoolStats s = pool.stats();
            assertThat(s.pingFailed()).as("%s", s).isEqualTo(2);
            assertThat(s.closed()).isEqualTo(s.created() - s.size());
            backend.awaitOpen(s.size(), Duration.ofSeconds(5));
            Echo.assertFullyUsable(pool);
        }
        backend.awaitOpen(0, Duration.ofSeconds(5));
    }

    @Test
    void hangingHealthCheckIsBoundedByItsTimeout() throws Exception {
        Duration checkTimeout = Duration.ofMillis(250);
        HealthCheck ping = HealthCheck.requestResponse("PING\r\n".getBytes(StandardCharsets.US_ASCII),
                "PING".getBytes(StandardCharsets.US_ASCII), checkTimeout);
        ConnPoolConfig config = small().minSize(2).healthCheck(ping).build();
        try (ConnPool pool = ConnPool.create("hanging-check", config, tcp())) {
            backend.awaitOpen(2, Duration.ofSeconds(5));
            backend.mode(TestServer.Mode.SILENT); // reads the PING, never answers
            long t0 = System.nanoTime();
            try (PooledConnection c = pool.get(Duration.ofSeconds(20))) {
                long took = (System.nanoTime() - t0) / 1_000_000;
                // bounded by the checks' timeouts, not the get's 20 s; generous for a loaded machine
                assertThat(took).as("two checks of %d ms, then a connect", checkTimeout.toMillis())
                        .isBetween(2 * checkTimeout.toMillis() - 20, 2 * checkTimeout.toMillis() + 3_000);
                backend.mode(TestServer.Mode.ECHO);
                Echo.roundTrip(c);
            }
            assertThat(pool.stats().pingFailed()).isEqualTo(2);
            Echo.assertFullyUsable(pool);
        }
    }

    // ---- interruption ----------------------------------------------------------------------

    @Test
    void callerInterruptedMidConnectGetsInterruptedIOExceptionAndTheConnectStillLands() throws Exception {
        ScriptedFactory.Gate gate = new ScriptedFactory.Gate();
        ScriptedFactory factory = new ScriptedFactory(tcp()).then(gate);
        try (ConnPool pool = ConnPool.create("interrupted", small().build(), factory)) {
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            AtomicReference<Boolean> flagKept = new AtomicReference<>();
            AtomicReference<Long> tookMillis = new AtomicReference<>();
            Thread caller = new Thread(() -> {
                try (PooledConnection c = pool.get(Duration.ofSeconds(20))) {
                    thrown.set(new AssertionError("got a connection: " + c));
                } catch (Throwable t) {
                    thrown.set(t);
                    flagKept.set(Thread.currentThread().isInterrupted());
                }
            }, "interrupted-caller");
            caller.start();
            gate.awaitEntered();
            long t0 = System.nanoTime();
            caller.interrupt();
            caller.join(5_000);
            tookMillis.set((System.nanoTime() - t0) / 1_000_000);
            assertThat(caller.isAlive()).isFalse();
            assertThat(thrown.get()).isInstanceOf(InterruptedIOException.class);
            assertThat(flagKept.get()).as("interrupt flag kept").isTrue();
            assertThat(tookMillis.get()).as("the interrupt is answered at once, not at the 20 s deadline")
                    .isLessThan(5_000);
            assertThat(pool.stats().waiters()).isZero();

            gate.release(); // the connect the caller gave up on ends up in the pool
            Await.until(() -> pool.stats().connecting() == 0 && pool.stats().available() == 1,
                    Duration.ofSeconds(5), () -> "connect landed: " + pool.stats());
            Echo.assertFullyUsable(pool);
            assertThat(factory.calls()).isEqualTo(3);
        }
        backend.awaitOpen(0, Duration.ofSeconds(5));
    }

    @Test
    void callerInterruptedWhileWaitingAtMaxSizeLeavesNoWaiterBehind() throws Exception {
        try (ConnPool pool = ConnPool.create("interrupted-wait", small().maxSize(1).build(), tcp())) {
            PooledConnection held = pool.get(Duration.ofSeconds(2));
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            AtomicReference<Boolean> flagKept = new AtomicReference<>();
            Thread caller = new Thread(() -> {
                try (PooledConnection c = pool.get(Duration.ofSeconds(20))) {
                    thrown.set(new AssertionError("got a connection: " + c));
                } catch (Throwable t) {
                    thrown.set(t);
                    flagKept.set(Thread.currentThread().isInterrupted());
                }
            }, "interrupted-waiter");
            caller.start();
            Await.until(() -> pool.stats().waiters() == 1, Duration.ofSeconds(5), "caller waits");
            caller.interrupt();
            caller.join(5_000);
            assertThat(caller.isAlive()).isFalse();
            assertThat(thrown.get()).isInstanceOf(InterruptedIOException.class)
                    .isInstanceOf(IOException.class);
            assertThat(flagKept.get()).isTrue();
            assertThat(pool.stats().waiters()).isZero();
            held.close();
            assertThat(pool.stats().available()).as("the returned connection went idle, to nobody").isEqualTo(1);
            Echo.assertFullyUsable(pool);
        }
    }

    private static void assertRoomFreed(ConnPool pool, int failures) {
        Await.until(() -> pool.stats().connecting() == 0, Duration.ofSeconds(5), () -> "" + pool.stats());
        PoolStats s = pool.stats();
        assertThat(s.connectFailures()).isEqualTo(failures);
        assertThat(s.size()).isZero();
        assertThat(s.created()).isZero();
        assertThat(ConnPoolException.class).isAssignableFrom(ConnectFailedException.class);
    }
}
