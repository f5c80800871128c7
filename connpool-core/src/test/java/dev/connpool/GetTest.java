package dev.connpool;

import static org.assertj.core.api.Assertions.assertThat;

import dev.connpool.internal.EngineHooks;
import dev.connpool.testkit.Echo;
import dev.connpool.testkit.EchoBackendTest;
import dev.connpool.testkit.Worker;
import java.io.IOException;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/** DESIGN §4 get, step 2: idle order and the checks made on an idle connection. */
class GetTest extends EchoBackendTest {

    @Test
    void idleConnectionsAreLentMostRecentlyReturnedFirst() throws Exception {
        try (ConnPool pool = ConnPool.create("lifo", ConnPoolConfig.builder().maxSize(3)
                .healthCheck(HealthCheck.none()).build(), tcp())) {
            PooledConnection a = pool.get();
            PooledConnection b = pool.get();
            PooledConnection c = pool.get();
            List<Socket> order = List.of(a.socket(), b.socket(), c.socket());
            a.close();
            b.close();
            c.close();
            assertThat(takeAll(pool, 3)).containsExactly(order.get(2), order.get(1), order.get(0));

            // and again with another order of returns, ghosts of hinted leases included
            List<PooledConnection> held = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                held.add(pool.get());
            }
            Socket first = held.get(0).socket();
            Socket second = held.get(1).socket();
            Socket third = held.get(2).socket();
            held.get(1).close();
            held.get(2).close();
            held.get(0).close();
            assertThat(takeAll(pool, 3)).containsExactly(first, third, second);
            assertThat(pool.stats().created()).isEqualTo(3);
        }
    }

    /** Takes n connections, noting their sockets in the order lent, and returns them in that order. */
    private static List<Socket> takeAll(ConnPool pool, int n) throws IOException {
        List<PooledConnection> leases = new ArrayList<>();
        List<Socket> sockets = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            PooledConnection c = pool.get();
            leases.add(c);
            sockets.add(c.socket());
        }
        // return in reverse so the stack ends as it began
        for (int i = n - 1; i >= 0; i--) {
            leases.get(i).close();
        }
        return sockets;
    }

    @Test
    void staleIdleConnectionsAreSkippedWithoutARetryLimit() throws Exception {
        try (ConnPool pool = ConnPool.create("stale", ConnPoolConfig.builder().minSize(10).maxSize(10)
                .evictInterval(Duration.ZERO).build(), tcp())) {
            server.awaitOpen(10, Duration.ofSeconds(5));
            server.finAll();
            server.awaitOpen(0, Duration.ofSeconds(5));
            try (PooledConnection c = pool.get(Duration.ofSeconds(5))) {
                c.getOutputStream().write('x');
                assertThat(c.getInputStream().read()).isEqualTo('x');
            }
            PoolStats s = pool.stats();
            assertThat(s.pingFailed()).isEqualTo(10);
            assertThat(s.created()).isEqualTo(11);
            assertThat(s.size()).isEqualTo(1);
        }
    }

    @Test
    void checksRunCheapestFirstLifetimeThenIdleThenHealth() throws Exception {
        AtomicInteger healthChecks = new AtomicInteger();
        HealthCheck counting = socket -> healthChecks.incrementAndGet();
        // lifetime first: an expired connection is closed without a health check
        try (ConnPool pool = ConnPool.create("lifetime-first", ConnPoolConfig.builder().maxSize(2)
                .maxLifetime(Duration.ofMinutes(10)).evictInterval(Duration.ZERO).healthCheck(counting).build(),
                tcp())) {
            Socket old;
            try (PooledConnection c = pool.get()) {
                old = c.socket();
            }
            EngineHooks.advanceClock(Duration.ofMinutes(11));
            try (PooledConnection c = pool.get()) {
                assertThat(c.socket()).isNotSameAs(old);
            }
            assertThat(pool.stats().lifetimeClosed()).isEqualTo(1);
            assertThat(healthChecks).hasValue(0);
        }
        // idle before health: an idle-expired connection above minSize is closed without a check
        try (ConnPool pool = ConnPool.create("idle-second", ConnPoolConfig.builder().maxSize(2)
                .idleTimeout(Duration.ofMinutes(1)).evictInterval(Duration.ZERO).healthCheck(counting).build(),
                tcp())) {
            Socket old;
            try (PooledConnection c = pool.get()) {
                old = c.socket();
            }
            EngineHooks.advanceClock(Duration.ofSeconds(61));
            try (PooledConnection c = pool.get()) {
                assertThat(c.socket()).isNotSameAs(old);
            }
            assertThat(pool.stats().idleClosed()).isEqualTo(1);
            assertThat(healthChecks).hasValue(0);
            // a connection idle for less than the timeout is health-checked
            try (PooledConnection c = pool.get()) {
                Echo.roundTrip(c);
            }
            assertThat(healthChecks).hasValue(1);
        }
    }

    @Test
    void unhealthyConnectionsAreClosedAndCountedAndTheNextOneTried() throws Exception {
        List<Socket> condemned = new ArrayList<>();
        HealthCheck check = socket -> {
            synchronized (condemned) {
                if (condemned.contains(socket)) {
                    throw new IOException("condemned by the test");
                }
            }
        };
        try (ConnPool pool = ConnPool.create("health", ConnPoolConfig.builder().maxSize(4).healthCheck(check)
                .evictInterval(Duration.ZERO).build(), tcp())) {
            List<PooledConnection> four = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                four.add(pool.get());
            }
            Socket survivor = four.get(0).socket();
            for (int i = 1; i < 4; i++) {
                condemned.add(four.get(i).socket());
            }
            for (PooledConnection c : four) {
                c.close();
            }
            try (PooledConnection c = pool.get()) {
                assertThat(c.socket()).isSameAs(survivor);
            }
            assertThat(pool.stats().pingFailed()).isEqualTo(3);
            assertThat(pool.stats().size()).isEqualTo(1);
            server.awaitOpen(1, Duration.ofSeconds(5));
        }
    }

    @Test
    void aHealthCheckThatThrowsARuntimeExceptionCountsAsFailed() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        HealthCheck broken = socket -> {
            if (calls.incrementAndGet() == 1) {
                throw new IllegalStateException("bug in a user's check");
            }
        };
        try (ConnPool pool = ConnPool.create("throwing-check", ConnPoolConfig.builder().maxSize(2)
                .healthCheck(broken).evictInterval(Duration.ZERO).build(), tcp())) {
            pool.get().close();
            try (PooledConnection c = pool.get()) {
                assertThat(c.socket().isConnected()).isTrue();
            }
            assertThat(pool.stats().pingFailed()).isEqualTo(1);
            assertThat(pool.stats().successes()).isEqualTo(2);
        }
    }

    @Test
    void theLeaseIsDeadAfterClose() throws Exception {
        try (ConnPool pool = ConnPool.create("dead-lease", ConnPoolConfig.builder().maxSize(1).build(), tcp())) {
            PooledConnection c = pool.get();
            c.close();
            org.assertj.core.api.Assertions.assertThatIllegalStateException().isThrownBy(c::socket)
                    .withMessageContaining("dead-lease");
            org.assertj.core.api.Assertions.assertThatIllegalStateException().isThrownBy(c::getInputStream);
            c.markUnusable(); // no effect on a returned lease
            try (PooledConnection again = pool.get()) {
                assertThat(pool.stats().unusableClosed()).isZero();
                assertThat(again.socket().isClosed()).isFalse();
            }
        }
    }

    /** Lets time pass for timeouts under test (this waits for the clock, not for another thread). */
    static void pause(Duration d) {
        long end = System.nanoTime() + d.toNanos();
        for (long left = d.toNanos(); left > 0; left = end - System.nanoTime()) {
            LockSupport.parkNanos(left);
        }
    }

    /**
     * Each thread's next get lends the connection that thread returned last (its hint), even when
     * another thread has returned one since, which now sits on top of the idle stack.
     */
    @Test
    void aThreadGetsBackTheConnectionItReturnedLastBeforeAnotherThreadsLaterReturn() throws Exception {
        try (ConnPool pool = ConnPool.create("hint", ConnPoolConfig.builder().maxSize(2)
                .healthCheck(HealthCheck.none()).build(), tcp())) {
            PooledConnection mine = pool.get();
            Socket mySocket = mine.socket();
            CountDownLatch holding = new CountDownLatch(1);
            CountDownLatch giveBack = new CountDownLatch(1);
            AtomicReference<Socket> theirs = new AtomicReference<>();
            Worker other = Worker.start("other", () -> {
                try (PooledConnection c = pool.get()) {
                    theirs.set(c.socket());
                    holding.countDown();
                    assertThat(giveBack.await(10, TimeUnit.SECONDS)).isTrue();
                }
            });
            assertThat(holding.await(10, TimeUnit.SECONDS)).isTrue();
            mine.close();
            giveBack.countDown();
            other.join(Duration.ofSeconds(10));
            assertThat(theirs.get()).isNotSameAs(mySocket);
            try (PooledConnection again = pool.get()) {
                assertThat(again.socket()).as("this thread's own last return, not the other thread's").isSameAs(mySocket);
            }
            assertThat(pool.stats().created()).isEqualTo(2);
        }
    }
}
