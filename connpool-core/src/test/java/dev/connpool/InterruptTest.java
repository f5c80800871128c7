package dev.connpool;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import dev.connpool.testkit.Await;
import dev.connpool.testkit.Echo;
import dev.connpool.testkit.LineServer;
import dev.connpool.testkit.NoPoolThreads;
import dev.connpool.testkit.VirtualThreads;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * DESIGN §3 interruption, on every path of {@code get}: an interrupted caller gets an
 * {@link InterruptedIOException}, keeps its interrupt flag, and never costs the pool a connection.
 * A check that runs on an interrupted thread must not count as failed: an interrupted channel
 * operation closes the channel ({@code ClosedByInterruptException}), which says nothing about the
 * connection's health. The virtual-thread cases run on JDK 21 or later (see {@link VirtualThreads}).
 */
@Timeout(30)
@ExtendWith(NoPoolThreads.class)
class InterruptTest {

    private static final Duration BOUND = Duration.ofSeconds(5);
    private static final int SIZE = 5;
    private static final byte[] PING = "PING\r\n".getBytes(US_ASCII);
    private static final byte[] PONG = "+PONG".getBytes(US_ASCII);

    private final CountDownLatch pongReleased = new CountDownLatch(1);
    private LineServer server;

    @AfterEach
    void stopServer() throws IOException {
        pongReleased.countDown(); // a server thread held in a reply must end before the server can close
        if (server != null) {
            server.close();
        }
    }

    private static HealthCheck ping() {
        return HealthCheck.requestResponse(PING, PONG, Duration.ofSeconds(5));
    }

    /** A pool of {@link #SIZE} idle connections to {@link #server}, all open on the server side. */
    private ConnPool fullPool(String name, HealthCheck check) throws IOException {
        ConnPool pool = ConnPool.create(name, ConnPoolConfig.builder().minSize(SIZE).maxSize(SIZE)
                .healthCheck(check).evictInterval(Duration.ZERO).build(),
                ConnectionFactory.tcp(server.host(), server.port(), BOUND));
        server.awaitOpen(SIZE, BOUND);
        return pool;
    }

    @Test
    void anInterruptedGetDestroysNoIdleConnectionUnderARequestResponseCheck() throws Exception {
        server = LineServer.plain(LineServer.PONG);
        interruptedBeforeGetLosesNothing("interrupt-ping", ping());
    }

    @Test
    void anInterruptedGetDestroysNoIdleConnectionUnderTheLivenessCheck() throws Exception {
        server = LineServer.plain(LineServer.PONG);
        interruptedBeforeGetLosesNothing("interrupt-liveness", HealthCheck.liveness());
    }

    @Test
    void anInterruptedGetThrowsEvenWithAnIdleConnectionAndNoCheck() throws Exception {
        server = LineServer.plain(LineServer.PONG);
        interruptedBeforeGetLosesNothing("interrupt-none", HealthCheck.none());
    }

    private void interruptedBeforeGetLosesNothing(String name, HealthCheck check) throws Exception {
        try (ConnPool pool = fullPool(name, check)) {
            // the thread's last connection, so a hinted fast path is tried too
            try (PooledConnection c = pool.get(BOUND)) {
                Echo.roundTrip(c);
            }
            PoolStats before = pool.stats();

            Outcome outcome = getInterrupted(pool);

            assertThat(outcome.failure).as("get on an interrupted thread; then %s", pool.stats())
                    .isInstanceOf(InterruptedIOException.class);
            assertThat(outcome.flagKept).as("interrupt flag kept").isTrue();
            assertNothingLost(pool, before);
        }
    }

    @Test
    void anInterruptedWaiterThrowsAndKeepsItsFlagAndThePoolItsConnection() throws Exception {
        server = LineServer.plain(LineServer.PONG);
        try (ConnPool pool = ConnPool.create("interrupt-waiting", ConnPoolConfig.builder().maxSize(1)
                .healthCheck(ping()).evictInterval(Duration.ZERO).build(),
                ConnectionFactory.tcp(server.host(), server.port(), BOUND))) {
            PooledConnection held = pool.get(BOUND);
            Outcome outcome = getInterrupted(pool);
            assertThat(outcome.failure).as("get on an interrupted thread, pool exhausted; then %s", pool.stats())
                    .isInstanceOf(InterruptedIOException.class);
            assertThat(outcome.flagKept).as("interrupt flag kept").isTrue();
            assertThat(pool.stats().waiters()).isZero();
            held.close();
            PoolStats s = pool.stats();
            assertThat(s.size()).as("%s", s).isEqualTo(1);
            assertThat(s.available()).as("%s", s).isEqualTo(1);
            assertThat(s.closed()).as("%s", s).isZero();
            try (PooledConnection c = pool.get(BOUND)) {
                Echo.roundTrip(c);
            }
            assertThat(server.accepted()).isEqualTo(1);
        }
    }

    @Test
    void anInterruptWhileTheCheckWaitsForItsReplyDestroysNothing() throws Exception {
        CountDownLatch pingArrived = new CountDownLatch(1);
        AtomicBoolean first = new AtomicBoolean(true);
        UnaryOperator<String> slowFirstPong = line -> {
            if (line.equals("PING\r\n") && first.compareAndSet(true, false)) {
                pingArrived.countDown();
                try {
                    pongReleased.await(20, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return LineServer.PONG.apply(line);
        };
        server = LineServer.plain(slowFirstPong);
        try (ConnPool pool = fullPool("interrupt-during-check", ping())) {
            PoolStats before = pool.stats();
            CompletableFuture<Outcome> outcome = new CompletableFuture<>();
            Thread getter = new Thread(() -> outcome.complete(getOnThisThread(pool)), "interrupted-getter");
            getter.start();
            try {
                assertThat(pingArrived.await(BOUND.toMillis(), TimeUnit.MILLISECONDS))
                        .as("the check sent its PING").isTrue();
                getter.interrupt();
                // let the interrupt act while the reply is still held back (a lower bound, not a sync:
                // an engine that finishes the exchange first waits for the reply instead)
                try {
                    outcome.get(300, TimeUnit.MILLISECONDS);
                } catch (java.util.concurrent.TimeoutException stillInGet) {
                    // fine: released below
                }
            } finally {
                pongReleased.countDown();
                getter.join(BOUND.toMillis());
            }
            Outcome o = outcome.get(BOUND.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(o.failure).as("get interrupted during its check; then %s", pool.stats())
                    .isInstanceOf(InterruptedIOException.class);
            assertThat(o.flagKept).as("interrupt flag kept").isTrue();
            assertNothingLost(pool, before);
        }
    }

    @Test
    void anInterruptedVirtualThreadDestroysNoIdleConnection() throws Exception {
        ThreadFactory virtual = VirtualThreads.factory();
        server = LineServer.plain(LineServer.PONG);
        try (ConnPool pool = fullPool("interrupt-virtual", ping())) {
            PoolStats before = pool.stats();
            CompletableFuture<Outcome> outcome = new CompletableFuture<>();
            Thread t = virtual.newThread(() -> {
                Thread.currentThread().interrupt();
                outcome.complete(getOnThisThread(pool));
            });
            assertThat(VirtualThreads.isVirtual(t)).isTrue();
            t.start();
            Outcome o = outcome.get(BOUND.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(o.failure).as("get on an interrupted virtual thread; then %s", pool.stats())
                    .isInstanceOf(InterruptedIOException.class);
            assertThat(o.flagKept).as("interrupt flag kept").isTrue();
            t.join(BOUND.toMillis());
            assertNothingLost(pool, before);
        }
    }

    @Test
    void aVirtualThreadInterruptedWhileWaitingThrowsAndKeepsItsFlag() throws Exception {
        ThreadFactory virtual = VirtualThreads.factory();
        server = LineServer.plain(LineServer.PONG);
        try (ConnPool pool = ConnPool.create("interrupt-virtual-waiting", ConnPoolConfig.builder().maxSize(1)
                .healthCheck(ping()).evictInterval(Duration.ZERO).build(),
                ConnectionFactory.tcp(server.host(), server.port(), BOUND))) {
            PooledConnection held = pool.get(BOUND);
            CompletableFuture<Outcome> outcome = new CompletableFuture<>();
            Thread t = virtual.newThread(() -> outcome.complete(getOnThisThread(pool)));
            t.start();
            Await.until(() -> pool.stats().waiters() == 1, BOUND, "the virtual thread waits");
            t.interrupt();
            Outcome o = outcome.get(BOUND.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(o.failure).as("get interrupted while waiting; then %s", pool.stats())
                    .isInstanceOf(InterruptedIOException.class);
            assertThat(o.flagKept).as("interrupt flag kept").isTrue();
            t.join(BOUND.toMillis());
            assertThat(pool.stats().waiters()).isZero();
            held.close();
            PoolStats s = pool.stats();
            assertThat(s.available()).as("%s", s).isEqualTo(1);
            assertThat(s.closed()).as("%s", s).isZero();
        }
    }

    /** Calls get on this thread with its interrupt flag set, and clears the flag again. */
    private static Outcome getInterrupted(ConnPool pool) {
        Thread.currentThread().interrupt();
        try {
            return getOnThisThread(pool);
        } finally {
            Thread.interrupted();
        }
    }

    private static Outcome getOnThisThread(ConnPool pool) {
        Throwable failure = null;
        try {
            PooledConnection c = pool.get(BOUND);
            c.close();
        } catch (Throwable t) {
            failure = t;
        }
        return new Outcome(failure, Thread.currentThread().isInterrupted());
    }

    /** Every connection still there, idle, unharmed and in step; none closed, none replaced. */
    private void assertNothingLost(ConnPool pool, PoolStats before) throws IOException {
        PoolStats after = pool.stats();
        assertThat(after.pingFailed()).as("closed for HEALTH: %s", after).isEqualTo(before.pingFailed());
        assertThat(after.closed()).as("closed for any reason: %s", after).isEqualTo(before.closed());
        assertThat(after.size()).as("size: %s", after).isEqualTo(before.size());
        assertThat(after.available()).as("available: %s", after).isEqualTo(before.size());
        assertThat(after.created()).as("created: %s", after).isEqualTo(before.created());
        // every one lent again, and in step: its next reply is the echo of what we send
        List<PooledConnection> all = new ArrayList<>();
        try {
            for (int i = 0; i < before.size(); i++) {
                PooledConnection c = pool.get(BOUND);
                all.add(c);
                Echo.roundTrip(c);
            }
        } finally {
            all.forEach(PooledConnection::close);
        }
        PoolStats end = pool.stats();
        assertThat(end.closed()).as("closed for any reason: %s", end).isEqualTo(before.closed());
        assertThat(server.accepted()).as("server-side accepted: no replacement connects")
                .isEqualTo((int) before.created());
        Await.until(() -> server.open() == before.size(), BOUND,
                () -> "server-side open: expected " + before.size() + ", was " + server.open());
    }

    /** How a get ended: its failure (null if it got a connection), and the thread's interrupt flag after it. */
    private record Outcome(Throwable failure, boolean flagKept) {
    }
}
