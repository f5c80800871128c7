package dev.connpool;

import static org.assertj.core.api.Assertions.assertThatThrownBy;
import java.util.function.Supplier;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import dev.connpool.testkit.Barging;
import dev.connpool.testkit.BrokenFactory;
import dev.connpool.testkit.AsyncGet;
import dev.connpool.testkit.Await;
import dev.connpool.testkit.CountingServer;
import dev.connpool.testkit.Echo;
import dev.connpool.testkit.EchoBackendTest;
import dev.connpool.testkit.Stress;
import dev.connpool.testkit.VirtualThreads;
import dev.connpool.testkit.Worker;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * {@code resize(minSize, maxSize)} (DESIGN §7.1): the builder's rules; growing lets waiters connect
 * at once; shrinking closes idle excess now and lent excess on return, so once the excess is back
 * the pool never has more than the new {@code maxSize} open (counted on the server);
 * {@code config()} follows.
 */
class ResizeTest extends EchoBackendTest {

    private static final Duration BOUND = Duration.ofSeconds(5);

    private ConnPool pool(String name, ConnPoolConfig.Builder config) throws IOException {
        return ConnPool.create(name, config.build(), tcp());
    }

    private static List<PooledConnection> take(ConnPool pool, int n) throws IOException {
        List<PooledConnection> held = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            held.add(pool.get(BOUND));
        }
        return held;
    }

    @Test
    void growingLetsAWaiterConnectAtOnce() throws Exception {
        try (ConnPool pool = pool("grow", ConnPoolConfig.builder().maxSize(1))) {
            PooledConnection held = pool.get(BOUND);
            AsyncGet waiter = AsyncGet.start(pool, Duration.ofSeconds(20));
            Await.until(() -> pool.stats().waiters() == 1, BOUND, () -> "waiting: " + pool.stats());
            pool.resize(0, 2);
            try (PooledConnection c = waiter.connection(BOUND)) {
                assertThat(c.socket()).isNotSameAs(held.socket());
                Echo.roundTrip(c);
            }
            server.awaitOpen(2, BOUND);
            held.close();
            assertThat(pool.config().maxSize()).isEqualTo(2);
            Echo.assertFullyUsable(pool);
        }
    }

    @Test
    void shrinkingClosesIdleExcessNowAndLentExcessOnReturn() throws Exception {
        try (ConnPool pool = pool("shrink", ConnPoolConfig.builder().maxSize(4))) {
            List<PooledConnection> held = take(pool, 4);
            held.get(2).close();
            held.get(3).close();
            server.awaitOpen(4, BOUND);
            pool.resize(0, 1);
            assertThat(pool.config().maxSize()).isEqualTo(1);
            server.awaitOpen(2, BOUND);
            assertThat(pool.stats().idleClosed()).isEqualTo(2);
            held.get(0).close(); // one too many: closed on return
            server.awaitOpen(1, BOUND);
            Socket kept = held.get(1).socket();
            held.get(1).close(); // the one the pool keeps
            PoolStats s = pool.stats();
            assertThat(s.size()).isEqualTo(1);
            assertThat(s.idleClosed()).isEqualTo(3);
            assertThat(s.closed()).isEqualTo(s.created() - s.size());
            try (PooledConnection c = pool.get(BOUND)) {
                assertThat(c.socket()).isSameAs(kept);
                // at the new maxSize, a second caller waits
                AsyncGet second = AsyncGet.start(pool, Duration.ofMillis(200));
                assertThat(second.outcome(BOUND)).isInstanceOf(AcquireTimeoutException.class);
            }
            server.awaitOpen(1, BOUND);
        }
    }

    /** A resize that still leaves room for every connection open closes none of them. */
    @Test
    void shrinkingToAboveTheOpenCountClosesNothing() throws Exception {
        try (ConnPool pool = pool("still-room", ConnPoolConfig.builder().maxSize(4).evictInterval(Duration.ZERO))) {
            take(pool, 2).forEach(PooledConnection::close);
            server.awaitOpen(2, BOUND);
            pool.resize(0, 3);
            PoolStats s = pool.stats();
            assertThat(s.available()).as("%s", s).isEqualTo(2);
            assertThat(s.idleClosed()).as("%s", s).isZero();
            take(pool, 2).forEach(PooledConnection::close);
            assertThat(server.accepted()).as("the same two lent again").isEqualTo(2);
        }
    }

    /** Growing serves at once a waiter that sleeps until served (it has waited past the barging bound). */
    @Test
    void growingLetsASleepingWaiterConnectAtOnce() throws Exception {
        try (ConnPool pool = pool("grow-sleeping", ConnPoolConfig.builder().maxSize(1).evictInterval(Duration.ZERO))) {
            PooledConnection held = pool.get(BOUND);
            AsyncGet waiter = AsyncGet.start(pool, Duration.ofSeconds(20));
            Await.until(() -> pool.stats().waiters() == 1, BOUND, () -> "waiting: " + pool.stats());
            Barging.awaitPastTheBound(waiter.thread());
            pool.resize(0, 2);
            try (PooledConnection c = waiter.connection(BOUND)) {
                assertThat(c.socket()).isNotSameAs(held.socket());
            }
            held.close();
            server.awaitAccepted(2, BOUND); // the client's connect returns before the server's accept()
            assertThat(server.accepted()).isEqualTo(2);
        }
    }

    /**
     * A shrink's excess stops counting once its close has begun: while the close of the one
     * connection too many is still under way, the last one back is kept, not closed as well.
     */
    @Test
    void theLastConnectionBackIsKeptWhileTheExcessIsStillClosing() throws Exception {
        CountDownLatch closing = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicReference<Socket> slow = new AtomicReference<>();
        ConnectionFactory slowToClose = () -> {
            Socket s = new Socket() {
                @Override
                public void close() throws IOException {
                    if (slow.compareAndSet(this, null)) {
                        closing.countDown();
                        try {
                            release.await(10, TimeUnit.SECONDS);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                    super.close();
                }
            };
            s.connect(new InetSocketAddress(server.host(), server.port()), 5_000);
            return s;
        };
        try (ConnPool pool = ConnPool.create("closing-excess", ConnPoolConfig.builder().maxSize(2)
                .healthCheck(HealthCheck.none()).evictInterval(Duration.ZERO).build(), slowToClose)) {
            PooledConnection kept = pool.get(BOUND);
            PooledConnection excess = pool.get(BOUND);
            pool.resize(0, 1);
            slow.set(excess.socket());
            Worker returning = Worker.start("return-excess", excess::close);
            try {
                assertThat(closing.await(5, TimeUnit.SECONDS)).as("the excess is being closed").isTrue();
                Socket keptSocket = kept.socket();
                kept.close(); // one open, one closing: within the new maxSize
                release.countDown();
                returning.join(BOUND);
                Await.until(() -> pool.stats().size() == 1, BOUND, () -> "the excess gone: " + pool.stats());
                PoolStats s = pool.stats();
                assertThat(s.available()).as("%s", s).isEqualTo(1);
                assertThat(s.idleClosed()).as("%s", s).isEqualTo(1);
                try (PooledConnection c = pool.get(BOUND)) {
                    assertThat(c.socket()).isSameAs(keptSocket);
                }
                server.awaitOpen(1, BOUND);
            } finally {
                release.countDown();
                returning.join(BOUND);
            }
        }
    }

    @Test
    void raisingMinSizeRefillsAndLoweringItLetsIdleTimeoutShrink() throws Exception {
        try (ConnPool pool = pool("min", ConnPoolConfig.builder().maxSize(4).idleTimeout(Duration.ofMillis(50))
                .evictInterval(Duration.ofMillis(10)))) {
            pool.resize(3, 4);
            Await.until(() -> pool.stats().size() == 3, BOUND, () -> "refilled: " + pool.stats());
            server.awaitOpen(3, BOUND);
            pool.resize(1, 4);
            Await.until(() -> pool.stats().size() == 1, BOUND, () -> "shrunk by idle timeout: " + pool.stats());
            server.awaitOpen(1, BOUND);
        }
    }

    /** With the evictor off, resize itself starts the connects up to the new minSize. */
    @Test
    void raisingMinSizeRefillsAtOnceWithTheEvictorOff() throws Exception {
        try (ConnPool pool = pool("min-no-evictor", ConnPoolConfig.builder().maxSize(4).evictInterval(Duration.ZERO))) {
            pool.resize(2, 4);
            Await.until(() -> pool.stats().size() == 2, BOUND, () -> "refilled by resize: " + pool.stats());
            server.awaitOpen(2, BOUND);
            assertThat(pool.stats().requests()).as("no get asked for them").isZero();
        }
    }

    @Test
    void theBuildersRulesApplyAndConfigFollows() throws Exception {
        try (ConnPool pool = pool("rules", ConnPoolConfig.builder().minSize(1).maxSize(4).increment(3)
                .idleTimeout(Duration.ofSeconds(7)))) {
            assertThatIllegalArgumentException().isThrownBy(() -> pool.resize(0, 0))
                    .withMessage("maxSize must be greater than 0 (was 0)");
            assertThatIllegalArgumentException().isThrownBy(() -> pool.resize(-1, 3))
                    .withMessage("minSize must be 0 or more (was -1)");
            assertThatIllegalArgumentException().isThrownBy(() -> pool.resize(5, 3))
                    .withMessage("minSize must not exceed maxSize (3) (was 5)");
            assertThat(pool.config().maxSize()).as("unchanged by a rejected resize").isEqualTo(4);
            pool.resize(0, 2);
            ConnPoolConfig c = pool.config();
            assertThat(c.minSize()).isZero();
            assertThat(c.maxSize()).isEqualTo(2);
            assertThat(c.increment()).as("capped at maxSize").isEqualTo(2);
            assertThat(c.idleTimeout()).as("the rest unchanged").isEqualTo(Duration.ofSeconds(7));
            pool.resize(2, 10);
            assertThat(pool.config().increment()).as("the configured increment again").isEqualTo(3);
            assertThat(pool.config().minSize()).isEqualTo(2);
        }
    }

    @Test
    void aClosedPoolChecksTheArgumentsAndChangesNothing() throws Exception {
        ConnPool pool = pool("closed", ConnPoolConfig.builder().maxSize(3));
        pool.close();
        assertThatIllegalArgumentException().isThrownBy(() -> pool.resize(2, 1));
        pool.resize(1, 5);
        assertThat(pool.config().maxSize()).isEqualTo(3);
        assertThat(pool.stats().connecting()).isZero();
        assertThat(server.accepted()).isZero();
    }

    @Test
    void growingFarBeyondTheFirstMaxSizeLendsDistinctSockets() throws Exception {
        try (ConnPool pool = pool("far", ConnPoolConfig.builder().maxSize(2).healthCheck(HealthCheck.none()))) {
            pool.resize(0, 40);
            List<PooledConnection> held = take(pool, 40);
            Set<Socket> sockets = Collections.newSetFromMap(new IdentityHashMap<>());
            held.forEach(c -> sockets.add(c.socket()));
            assertThat(sockets).hasSize(40);
            held.forEach(PooledConnection::close);
            assertThat(pool.stats().available()).isEqualTo(40);
            pool.resize(0, 3);
            server.awaitOpen(3, BOUND);
            Echo.assertFullyUsable(pool);
        }
    }

    /**
     * DESIGN §5 invariant 1 through resizes: 12 threads loop on the pool while another resizes it a
     * thousand times at random between 1 and 8. After the last resize to 3, once the excess has come
     * back, the server never sees more than 3 open.
     */
    @Test
    @Stress
    void neverMoreThanTheCurrentMaxSizeOpenOnceTheExcessCameBack() throws Exception {
        try (CountingServer counting = new CountingServer();
             ConnPool pool = ConnPool.create("resized", ConnPoolConfig.builder().maxSize(4).increment(2)
                     .evictInterval(Duration.ofMillis(5)).idleTimeout(Duration.ofMillis(20)).build(),
                     InvariantsTest.lingering(counting.port()))) {
            AtomicBoolean resizing = new AtomicBoolean(true);
            InvariantsTest.onThreads(12, Duration.ofSeconds(40), () -> {
                ThreadLocalRandom r = ThreadLocalRandom.current();
                for (int i = 0; i < 400 || resizing.get(); i++) {
                    try (PooledConnection c = pool.get(Duration.ofSeconds(10))) {
                        if (r.nextInt(30) == 0) {
                            c.markUnusable();
                        }
                    }
                }
            }, () -> {
                ThreadLocalRandom r = ThreadLocalRandom.current();
                for (int i = 0; i < 1000; i++) {
                    int max = 1 + r.nextInt(8);
                    pool.resize(r.nextInt(max + 1), max);
                    Thread.yield();
                }
                pool.resize(1, 3);
                // the excess comes back within a few returns, then the pool stays within 3. A connect
                // started under a larger max may still be in flight: the server counts it when it
                // arrives, before the pool closes it as excess, so it must be over too
                Await.until(() -> {
                    PoolStats now = pool.stats();
                    return now.size() + now.connecting() <= 3;
                }, Duration.ofSeconds(10), () -> "shrunk: " + pool.stats());
                Await.until(() -> counting.open() <= 3, Duration.ofSeconds(10), () -> "server: " + counting.open());
                counting.resetMaxOpen();
                long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500);
                while (System.nanoTime() - until < 0) {
                    Thread.onSpinWait();
                }
                resizing.set(false);
            });
            assertThat(counting.maxOpen()).as("most open at once after the shrink to 3, server side")
                    .isLessThanOrEqualTo(3);
            PoolStats s = pool.stats();
            assertThat(s.closed()).isEqualTo(s.created() - s.size());
            assertThat(s.size()).isLessThanOrEqualTo(3);
            Await.until(() -> counting.accepted() == pool.stats().created(), BOUND,
                    () -> "server accepted " + counting.accepted() + ", pool created " + pool.stats().created());
        }
    }

    @Test
    @Stress
    void closeRacingResizesThrowsOnlyPoolClosedException() throws Exception {
        CloseRace.run("race", name -> pool(name, ConnPoolConfig.builder().minSize(1).maxSize(3)
                .evictInterval(Duration.ofMillis(1))), Duration.ofSeconds(5), pool -> {
                    ThreadLocalRandom r = ThreadLocalRandom.current();
                    int max = 1 + r.nextInt(5);
                    pool.resize(r.nextInt(max + 1), max);
                });
        server.awaitOpen(0, BOUND);
    }

    @Test
    void virtualThreadWaitersAreServedByAGrowth() throws Exception {
        ThreadFactory virtual = VirtualThreads.factory();
        try (ConnPool pool = pool("virtual", ConnPoolConfig.builder().maxSize(1))) {
            PooledConnection held = pool.get(BOUND);
            List<AsyncGet> gets = AsyncGet.startMany(100, virtual, pool, Duration.ofSeconds(30), true);
            Await.until(() -> pool.stats().waiters() == 100, BOUND, () -> "all wait: " + pool.stats());
            pool.resize(0, 8);
            for (AsyncGet g : gets) {
                g.connection(Duration.ofSeconds(20));
            }
            held.close();
            assertThat(server.accepted()).isBetween(2, 8);
        }
    }

    @Test
    void aFactoryThrowingARuntimeExceptionOnGrowthLosesNoRoom() throws Exception {
        factoryThrowingOnGrowthLosesNoRoom(() -> new IllegalStateException("factory bug on purpose"));
    }

    @Test
    void aFactoryThrowingAnErrorOnGrowthLosesNoRoom() throws Exception {
        factoryThrowingOnGrowthLosesNoRoom(() -> new AssertionError("factory error on purpose"));
    }

    private void factoryThrowingOnGrowthLosesNoRoom(Supplier<Throwable> toThrow) throws Exception {
        BrokenFactory factory = new BrokenFactory(tcp(), toThrow, false);
        try (ConnPool pool = ConnPool.create("grow-fails", ConnPoolConfig.builder().maxSize(1)
                .maxConnectBackoff(Duration.ZERO).build(), factory)) {
            PooledConnection held = pool.get(BOUND);
            AsyncGet waiter = AsyncGet.start(pool, Duration.ofSeconds(20));
            Await.until(() -> pool.stats().waiters() == 1, BOUND, () -> "waiting: " + pool.stats());
            factory.broken(true);
            pool.resize(0, 3);
            assertThat(waiter.outcome(BOUND)).isInstanceOf(ConnectFailedException.class);
            factory.broken(false);
            held.close();
            Echo.assertFullyUsable(pool); // the three rooms, none lost to the failed connects
            assertThat(pool.stats().connecting()).isZero();
        }
    }

    @Test
    void zeroAndSubMillisecondGetsAtTheNewMaxSizeTimeOutAtOnce() throws Exception {
        try (ConnPool pool = pool("zero", ConnPoolConfig.builder().maxSize(3))) {
            List<PooledConnection> held = take(pool, 3);
            pool.resize(0, 2);
            held.get(0).close(); // the excess: closed, not kept
            for (Duration timeout : List.of(Duration.ZERO, Duration.ofNanos(500_000))) {
                long t0 = System.nanoTime();
                assertThatThrownBy(() -> pool.get(timeout)).isInstanceOf(AcquireTimeoutException.class);
                assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofMillis(500));
            }
            held.get(1).close();
            pool.get(Duration.ZERO).close();
            held.get(2).close();
            server.awaitOpen(2, BOUND);
        }
    }

    /**
     * Lent excess is closed on its return even when it was lent through the lock-free path (its
     * return is then one CAS, which must still notice that the pool is over its new maxSize).
     */
    @Test
    void lentExcessLentLockFreeIsClosedOnItsReturn() throws Exception {
        try (ConnPool pool = pool("shrink-ghosts", ConnPoolConfig.builder().maxSize(2)
                .healthCheck(HealthCheck.none()).evictInterval(Duration.ZERO))) {
            List<PooledConnection> fresh = take(pool, 2);
            for (PooledConnection c : fresh) {
                c.close();
            }
            List<PooledConnection> held = take(pool, 2); // both lent lock-free now, from the idle stack
            pool.resize(0, 1);
            Socket first = held.get(0).socket();
            held.get(0).close();
            assertThat(first.isClosed()).as("the excess, closed on its return").isTrue();
            Socket second = held.get(1).socket();
            held.get(1).close();
            assertThat(second.isClosed()).as("within the new maxSize, kept").isFalse();
            PoolStats stats = pool.stats();
            assertThat(stats.size()).isEqualTo(1);
            assertThat(stats.available()).isEqualTo(1);
            assertThat(stats.idleClosed()).isEqualTo(1);
        }
    }
}
