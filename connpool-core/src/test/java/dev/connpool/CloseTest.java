package dev.connpool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.connpool.testkit.Await;
import dev.connpool.testkit.EchoBackendTest;
import dev.connpool.testkit.Interrupts;
import dev.connpool.testkit.NoPoolThreads;
import dev.connpool.testkit.SlowCloseFactory;
import dev.connpool.testkit.Worker;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** DESIGN §4 close(): idle, in-use and waiting parties; idempotent; counters kept. */
class CloseTest extends EchoBackendTest {

    private ConnPool pool(String name, int min, int max) throws IOException {
        return ConnPool.create(name, ConnPoolConfig.builder().minSize(min).maxSize(max)
                .evictInterval(Duration.ofMillis(50)).build(),
                tcp());
    }

    @Test
    void closeWithIdleInUseAndWaitingParties() throws Exception {
        ConnPool pool = pool("parties", 3, 3);
        server.awaitOpen(3, Duration.ofSeconds(5));
        PooledConnection inUse1 = pool.get();
        PooledConnection inUse2 = pool.get();
        PooledConnection inUse3 = pool.get();
        Worker first = Worker.start("first-waiter", () -> pool.get(Duration.ofSeconds(20)).close());
        Await.until(() -> pool.stats().waiters() == 1, Duration.ofSeconds(5), "waiter queued");
        inUse3.close(); // handed to the waiter, which gives it back
        first.join(Duration.ofSeconds(5));
        // now: two in use by us, one idle (the waiter returned it)
        assertThat(pool.stats().available()).isEqualTo(1);
        PooledConnection idleTaker = pool.get(); // all three in use now
        Worker second = Worker.start("second-waiter", () -> pool.get(Duration.ofSeconds(20))); // and keeps it
        Await.until(() -> pool.stats().waiters() == 1, Duration.ofSeconds(5), "second waiter queued");
        idleTaker.close(); // handed to the second waiter
        second.join(Duration.ofSeconds(5));

        // a third party waits when we close
        Worker third = Worker.start("third-waiter", () -> assertThatThrownBy(() -> pool.get(Duration.ofSeconds(20)))
                .isInstanceOf(PoolClosedException.class));
        Await.until(() -> pool.stats().waiters() == 1, Duration.ofSeconds(5), "third waiter queued");

        pool.close();
        third.join(Duration.ofSeconds(5));
        // in use: still open until returned
        assertThat(inUse1.socket().isClosed()).isFalse();
        assertThat(server.open()).isEqualTo(3);
        inUse1.close();
        inUse2.close();
        Await.until(() -> server.open() == 1, Duration.ofSeconds(5), "two returned and closed");
        // the second waiter's connection is still lent and never comes back: close with no grace forces it
        assertThat(pool.close(Duration.ZERO)).isFalse();
        server.awaitOpen(0, Duration.ofSeconds(5));
        assertThat(pool.stats().closed()).isEqualTo(pool.stats().created());
    }

    /** The last step of a check, with the caller's deadline. */
    interface CheckStep {
        void run(Socket socket, long deadlineNanos) throws IOException;
    }

    /**
     * A check that, on the caller's thread, closes its pool and waits until the caller's deadline
     * has passed (a starved caller's view), then runs {@code last}.
     */
    private static HealthCheck closesPoolThenPassesDeadline(CompletableFuture<ConnPool> self, CheckStep last) {
        return new HealthCheck() {
            @Override
            public void check(Socket socket) throws IOException {
                throw new AssertionError("the pool calls the deadline form");
            }

            @Override
            public void check(Socket socket, long deadlineNanos) throws IOException {
                ConnPool p = self.join();
                Worker closer = Worker.start("closer", p::close);
                Await.until(p::isClosed, Duration.ofSeconds(5), "pool closed");
                Await.until(() -> System.nanoTime() - deadlineNanos > 0, Duration.ofSeconds(5), "deadline passed");
                closer.join(Duration.ofSeconds(5));
                last.run(socket, deadlineNanos);
            }
        };
    }

    @Test
    void aGetWhoseCheckOutlastsBothItsDeadlineAndTheCloseSaysClosedNotTimedOut() throws Exception {
        // the check (run on the caller's thread) sees the pool close and the caller's deadline pass,
        // then fails: the caller finds the pool closed, and says so (it was a timeout before)
        CompletableFuture<ConnPool> self = new CompletableFuture<>();
        HealthCheck closesThenFails = closesPoolThenPassesDeadline(self, (socket, deadlineNanos) -> {
            throw new IOException("stale");
        });
        ConnPool pool = ConnPool.create("late-check", ConnPoolConfig.builder().minSize(1).maxSize(1)
                .healthCheck(closesThenFails).build(), tcp());
        self.complete(pool);
        assertThatThrownBy(() -> pool.get(Duration.ofMillis(50))).isInstanceOf(PoolClosedException.class);
        assertThat(pool.stats().timeouts()).isZero();
        assertThat(pool.stats().requests()).isEqualTo(1);
        server.awaitOpen(0, Duration.ofSeconds(5));
    }

    @Test
    void aGetWhoseBuiltInCheckSkipsAfterTheCloseSaysClosedNotTimedOut() throws Exception {
        // the starved caller with the built-in request-response check: by the time the check runs,
        // the pool closed and the deadline passed, so the check skips (HealthCheckSkippedException)
        HealthCheck builtIn = HealthCheck.requestResponse("PING\r\n".getBytes(StandardCharsets.US_ASCII),
                "PING".getBytes(StandardCharsets.US_ASCII), Duration.ofSeconds(1));
        CompletableFuture<ConnPool> self = new CompletableFuture<>();
        HealthCheck late = closesPoolThenPassesDeadline(self, builtIn::check);
        ConnPool pool = ConnPool.create("late-skip", ConnPoolConfig.builder().minSize(1).maxSize(1)
                .healthCheck(late).build(), tcp());
        self.complete(pool);
        assertThatThrownBy(() -> pool.get(Duration.ofMillis(50))).isInstanceOf(PoolClosedException.class);
        assertThat(pool.stats().timeouts()).isZero();
        server.awaitOpen(0, Duration.ofSeconds(5));
    }

    @Test
    void closeEndsTheWaitOfACallerWhoseCheckFoundTooLittleTime() throws Exception {
        // a user's check may skip with much time left ("I need 30 s"): the caller waits out its
        // deadline, unless the pool closes, which ends the wait with PoolClosedException
        CountDownLatch skipped = new CountDownLatch(1);
        HealthCheck needsThirtySeconds = new HealthCheck() {
            @Override
            public void check(Socket socket) {
            }

            @Override
            public void check(Socket socket, long deadlineNanos) throws IOException {
                if (deadlineNanos - System.nanoTime() < TimeUnit.SECONDS.toNanos(30)) {
                    skipped.countDown();
                    throw new HealthCheckSkippedException("needs 30 s");
                }
            }
        };
        ConnPool pool = ConnPool.create("skip-wait", ConnPoolConfig.builder().minSize(1).maxSize(1)
                .healthCheck(needsThirtySeconds).build(), tcp());
        CompletableFuture<Long> endedAt = new CompletableFuture<>();
        Worker caller = Worker.start("caller", () -> {
            try {
                assertThatThrownBy(() -> pool.get(Duration.ofSeconds(20))).isInstanceOf(PoolClosedException.class);
            } finally {
                endedAt.complete(System.nanoTime());
            }
        });
        assertThat(skipped.await(5, TimeUnit.SECONDS)).as("the check skipped").isTrue();
        long closedAt = System.nanoTime();
        pool.close();
        caller.join(Duration.ofSeconds(10)); // its deadline is 20 s away: only the close can end it
        assertThat(Duration.ofNanos(endedAt.join() - closedAt)).isLessThan(Duration.ofSeconds(5));
        assertThat(pool.stats().timeouts()).isZero();
        server.awaitOpen(0, Duration.ofSeconds(5));
    }

    @Test
    void idleConnectionsCloseAtOnceAndGetFailsAfterClose() throws Exception {
        ConnPool pool = pool("idle-close", 2, 4);
        server.awaitOpen(2, Duration.ofSeconds(5));
        pool.close();
        server.awaitOpen(0, Duration.ofSeconds(5));
        assertThat(pool.isClosed()).isTrue();
        assertThatThrownBy(pool::get).isInstanceOf(PoolClosedException.class).hasMessageContaining("idle-close");
        PoolStats s = pool.stats();
        assertThat(s.shutdownClosed()).isEqualTo(2);
        assertThat(s.created()).isEqualTo(2);
        assertThat(s.size()).isZero();
        pool.close(); // idempotent
        assertThat(pool.stats()).isEqualTo(s); // counters kept, not reset
    }

    @Test
    void aConnectionReturnedAfterCloseIsClosedOnceAndCountedOnce() throws Exception {
        ConnPool pool = pool("return-after", 0, 2);
        PooledConnection c = pool.get();
        Socket s = c.socket();
        pool.close();
        assertThat(s.isClosed()).isFalse();
        c.close();
        c.close();
        assertThat(s.isClosed()).isTrue();
        server.awaitOpen(0, Duration.ofSeconds(5));
        PoolStats stats = pool.stats();
        assertThat(stats.shutdownClosed()).isEqualTo(1);
        assertThat(stats.closed()).isEqualTo(stats.created() - stats.size());
    }

    @Test
    void graceWaitsForReturnsThenClosesTheRest() throws Exception {
        ConnPool pool = pool("grace", 0, 2);
        PooledConnection returned = pool.get();
        PooledConnection kept = pool.get();
        long start = System.nanoTime();
        CompletableFuture<Boolean> closing = CompletableFuture.supplyAsync(() -> pool.close(Duration.ofMillis(500)));
        Await.until(pool::isClosed, Duration.ofSeconds(5), "closing begun");
        returned.close();
        assertThat(closing.get(5, TimeUnit.SECONDS)).isFalse(); // one never came back
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(took).as("close waited out its grace, and not much longer")
                .isBetween(Duration.ofMillis(500), Duration.ofSeconds(4));
        assertThat(kept.socket().isClosed()).isTrue();
        server.awaitOpen(0, Duration.ofSeconds(5));
        kept.close(); // late return: nothing more happens
        PoolStats s = pool.stats();
        assertThat(s.shutdownClosed()).isEqualTo(2);
        assertThat(s.size()).isZero();
        assertThat(s.closed()).isEqualTo(s.created());
    }

    @Test
    void graceReturnsTrueWhenEverythingCameBack() throws Exception {
        ConnPool pool = pool("grace-ok", 0, 2);
        PooledConnection c = pool.get();
        CompletableFuture<Boolean> closing = CompletableFuture.supplyAsync(() -> pool.close(Duration.ofSeconds(5)));
        Await.until(pool::isClosed, Duration.ofSeconds(5), "closing begun");
        c.close();
        assertThat(closing.get(5, TimeUnit.SECONDS)).isTrue();
        server.awaitOpen(0, Duration.ofSeconds(5));
    }

    /**
     * An interrupt during the grace wait does not cut the grace short (the connection returned in it
     * closes cleanly: true), and the flag is set again when close returns.
     */
    @Test
    void anInterruptDuringTheGraceWaitIsKeptAndTheWaitGoesOn() throws Exception {
        ConnPool pool = pool("grace-interrupted", 0, 1);
        PooledConnection c = pool.get();
        CompletableFuture<Boolean> flagAfter = new CompletableFuture<>();
        CompletableFuture<Boolean> result = new CompletableFuture<>();
        Thread closer = new Thread(() -> {
            try {
                result.complete(pool.close(Duration.ofSeconds(20)));
                flagAfter.complete(Thread.currentThread().isInterrupted());
            } catch (Throwable t) {
                result.completeExceptionally(t);
                flagAfter.completeExceptionally(t);
            }
        }, "grace-closer");
        closer.start();
        // in the grace wait itself: shutdown() before it also waits (joining the pool's threads)
        Await.until(() -> closer.getState() == Thread.State.TIMED_WAITING && inFrame(closer, "drain"),
                Duration.ofSeconds(5), "close waiting out its grace");
        closer.interrupt();
        Await.until(() -> !closer.isInterrupted(), Duration.ofSeconds(5), "the wait took the interrupt");
        assertThat(result).as("still waiting for the lent connection").isNotDone();
        c.close();
        assertThat(result.get(5, TimeUnit.SECONDS)).as("everything came back in the grace").isTrue();
        assertThat(flagAfter.get(5, TimeUnit.SECONDS)).as("interrupt flag when close returned").isTrue();
        closer.join(5_000);
        server.awaitOpen(0, Duration.ofSeconds(5));
    }

    /**
     * A second close while the first is still stopping the pool's threads returns only once they are
     * stopped: whoever calls close may rely on its promise (DESIGN §4, invariant 5), not only the first.
     */
    @Test
    void aSecondCloseReturnsOnlyOnceTheFirstHasStoppedThePoolsThreads() throws Exception {
        CountDownLatch inConnect = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ConnectionFactory tcp = tcp();
        ConnectionFactory slow = () -> {
            inConnect.countDown();
            // deaf to interrupts, like a connect bounded by its own timeout
            Interrupts.awaitIgnoringInterrupts(release);
            return tcp.create();
        };
        ConnPool pool = ConnPool.create("close-twice", ConnPoolConfig.builder().maxSize(1)
                .healthCheck(HealthCheck.none()).evictInterval(Duration.ZERO).build(), slow);
        Worker first = null;
        Worker second = null;
        try {
            assertThatThrownBy(() -> pool.get(Duration.ofMillis(1))).isInstanceOf(AcquireTimeoutException.class);
            assertThat(inConnect.await(5, TimeUnit.SECONDS)).isTrue();
            Worker closing = Worker.start("first-close", pool::close);
            first = closing;
            Await.until(() -> inFrame(closing.thread(), "shutdownUninterruptibly"), Duration.ofSeconds(5),
                    "the first close joining the connector, which is stuck in the factory");
            Worker again = Worker.start("second-close", pool::close);
            second = again;
            Await.until(() -> !again.thread().isAlive() || inFrame(again.thread(), "awaitUninterruptibly"),
                    Duration.ofSeconds(5), "the second close returned or waits");
            assertThat(again.thread().isAlive()).as("second close returned while the connector still runs").isTrue();
        } finally {
            release.countDown();
            pool.close();
        }
        first.join(Duration.ofSeconds(10));
        second.join(Duration.ofSeconds(10));
        assertThat(NoPoolThreads.poolThreads()).doesNotContain("close-twice");
        // the connect landed after the close: its socket is closed, and counted
        server.awaitOpen(0, Duration.ofSeconds(5));
        PoolStats s = pool.stats();
        assertThat(s.created()).as("%s", s).isEqualTo(1);
        assertThat(s.shutdownClosed()).as("%s", s).isEqualTo(1);
    }

    /**
     * A close(grace) that finds only a connection its user is closing right now forces nothing (the
     * user's close goes on): once that close has ended, a later close(grace) reports every connection
     * back and none forced.
     */
    @Test
    void aCloseThatFindsOnlyAConnectionBeingClosedForcesNothing() throws Exception {
        SlowCloseFactory factory = new SlowCloseFactory(server.host(), server.port());
        ConnPool pool = ConnPool.create("close-finds-closing", ConnPoolConfig.builder().maxSize(1)
                .evictInterval(Duration.ZERO).build(), factory);
        try (pool) { // closed again at the end: it ends the pool if an assertion failed before its close
            PooledConnection c = pool.get(Duration.ofSeconds(5));
            factory.holdCloseOf(c.socket());
            c.markUnusable();
            Worker user = Worker.start("closing-user", c::close);
            try {
                factory.awaitInClose();
                assertThat(pool.close(Duration.ZERO)).as("a connection still open").isFalse();
            } finally {
                factory.release();
            }
            user.join(Duration.ofSeconds(5));
            server.awaitOpen(0, Duration.ofSeconds(5));
            assertThat(pool.close(Duration.ZERO)).as("all back and none forced: %s", pool.stats()).isTrue();
            assertThat(pool.stats().unusableClosed()).isEqualTo(1);
        }
    }

    private static boolean inFrame(Thread t, String method) {
        return Arrays.stream(t.getStackTrace()).anyMatch(f -> f.getMethodName().equals(method));
    }
}
