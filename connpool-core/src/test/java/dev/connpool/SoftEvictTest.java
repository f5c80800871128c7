package dev.connpool;

import static org.assertj.core.api.Assertions.assertThat;

import dev.connpool.testkit.AsyncGet;
import dev.connpool.testkit.Await;
import dev.connpool.testkit.Certificates;
import dev.connpool.testkit.Echo;
import dev.connpool.testkit.EchoBackendTest;
import dev.connpool.testkit.GatedFactory;
import dev.connpool.testkit.Stress;
import dev.connpool.testkit.TestServer;
import dev.connpool.testkit.VirtualThreads;
import java.io.IOException;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * {@code softEvictAll()} (DESIGN §7.1): idle connections closed now, lent ones when returned (never
 * lent again), connects in flight when they end, all counted as {@link CloseReason#LIFETIME}; the
 * pool refills to {@code minSize} with new connections. Sockets are counted on the server.
 */
class SoftEvictTest extends EchoBackendTest {

    private static final Duration BOUND = Duration.ofSeconds(5);

    @Test
    void idleConnectionsCloseNowLentOnesOnReturnAndThePoolRefillsWithNewOnes() throws Exception {
        try (ConnPool pool = ConnPool.create("rotate", ConnPoolConfig.builder().minSize(3).maxSize(4)
                .evictInterval(Duration.ZERO).build(), tcp())) {
            server.awaitOpen(3, BOUND);
            PooledConnection lent = pool.get(BOUND);
            Socket old = lent.socket();
            assertThat(pool.softEvictAll()).as("idle ones closed now").isEqualTo(2);
            // the two idle ones replaced (minSize 3, with the lent one still counted)
            Await.until(() -> server.accepted() == 5 && pool.stats().available() == 2, BOUND,
                    () -> "refilled: " + pool.stats());
            assertThat(pool.stats().lifetimeClosed()).isEqualTo(2);
            assertThat(old.isClosed()).as("a lent connection stays usable").isFalse();
            Echo.roundTrip(lent);
            lent.close();
            assertThat(old.isClosed()).as("closed on return").isTrue();
            Await.until(() -> pool.stats().size() == 3 && server.accepted() == 6, BOUND,
                    () -> "replaced the returned one too: " + pool.stats());
            server.awaitOpen(3, BOUND);
            PoolStats s = pool.stats();
            assertThat(s.lifetimeClosed()).isEqualTo(3);
            assertThat(s.closed()).isEqualTo(s.created() - s.size());
            for (int i = 0; i < 10; i++) {
                try (PooledConnection c = pool.get(BOUND)) {
                    assertThat(c.socket()).isNotSameAs(old);
                }
            }
        }
    }

    @Test
    void aRetiredConnectionIsNeverLentAgainWhateverThePath() throws Exception {
        // no health check: the lock-free fast path lends, and must see the retirement too
        try (ConnPool pool = ConnPool.create("never-again", ConnPoolConfig.builder().maxSize(3)
                .healthCheck(HealthCheck.none()).evictInterval(Duration.ZERO).build(), tcp())) {
            Set<Socket> retired = Collections.newSetFromMap(new IdentityHashMap<>());
            for (int round = 0; round < 50; round++) {
                List<PooledConnection> held = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    PooledConnection c = pool.get(BOUND);
                    assertThat(retired).as("round %s", round).doesNotContain(c.socket());
                    held.add(c);
                }
                held.forEach(c -> retired.add(c.socket()));
                held.get(0).close(); // one idle, through this thread's hint
                pool.softEvictAll();
                held.forEach(PooledConnection::close); // the first one again: a stale close, ignored
            }
            PoolStats s = pool.stats();
            assertThat(s.lifetimeClosed()).isEqualTo(150);
            assertThat(s.size()).isZero();
            server.awaitOpen(0, BOUND);
        }
    }

    @Test
    void aConnectInFlightBringsAConnectionThatIsClosedAndTheWaiterGetsANewOne() throws Exception {
        GatedFactory gated = new GatedFactory(tcp());
        try (ConnPool pool = ConnPool.create("in-flight", ConnPoolConfig.builder().maxSize(1)
                .evictInterval(Duration.ZERO).build(), gated)) {
            AsyncGet waiter = AsyncGet.start(pool, Duration.ofSeconds(20));
            gated.awaitEntered();
            assertThat(pool.softEvictAll()).isZero();
            gated.release();
            try (PooledConnection c = waiter.connection(BOUND)) {
                Echo.roundTrip(c);
            }
            PoolStats s = pool.stats();
            assertThat(s.created()).as("the stale one and its replacement").isEqualTo(2);
            assertThat(s.lifetimeClosed()).isEqualTo(1);
            server.awaitOpen(1, BOUND);
        }
    }

    @Test
    void aTlsPoolIsRotatedToo() throws Exception {
        Certificates certs = Certificates.selfSigned("127.0.0.1");
        try (TestServer tls = TestServer.start(TestServer.Mode.ECHO, 0, certs.serverContext().getServerSocketFactory());
             ConnPool pool = ConnPool.create("tls", ConnPoolConfig.builder().minSize(2).maxSize(2).build(),
                     ConnectionFactory.tls("127.0.0.1", tls.port(), BOUND, certs.clientContext()))) {
            tls.awaitOpen(2, BOUND);
            PooledConnection lent = pool.get(BOUND);
            assertThat(pool.softEvictAll()).isEqualTo(1);
            Echo.roundTrip(lent);
            lent.close();
            Await.until(() -> tls.accepted() == 4 && pool.stats().size() == 2, BOUND, () -> "rotated: " + pool.stats());
            tls.awaitOpen(2, BOUND);
            try (PooledConnection c = pool.get(BOUND)) {
                Echo.roundTrip(c);
            }
        }
    }

    @Test
    void aRefillFactoryThrowingLosesNoRoom() throws Exception {
        AtomicBoolean broken = new AtomicBoolean();
        ConnectionFactory real = tcp();
        ConnectionFactory factory = () -> {
            if (broken.get()) {
                if (ThreadLocalRandom.current().nextBoolean()) {
                    throw new IllegalStateException("factory bug on purpose");
                }
                throw new AssertionError("factory error on purpose");
            }
            return real.create();
        };
        try (ConnPool pool = ConnPool.create("refill-fails", ConnPoolConfig.builder().minSize(2).maxSize(2)
                .evictInterval(Duration.ofMillis(20)).maxConnectBackoff(Duration.ofMillis(100)).build(), factory)) {
            server.awaitOpen(2, BOUND);
            broken.set(true);
            assertThat(pool.softEvictAll()).isEqualTo(2);
            Await.until(() -> pool.stats().connectFailures() >= 2, BOUND, () -> "refill failed: " + pool.stats());
            broken.set(false);
            Await.until(() -> pool.stats().size() == 2, BOUND, () -> "refilled: " + pool.stats());
            Echo.assertFullyUsable(pool);
        }
    }

    @Test
    void anInterruptedCallerCanSoftEvictAndKeepsItsFlag() throws Exception {
        try (ConnPool pool = ConnPool.create("interrupted", ConnPoolConfig.builder().minSize(1).maxSize(1).build(),
                tcp())) {
            Thread.currentThread().interrupt();
            try {
                assertThat(pool.softEvictAll()).isEqualTo(1);
                assertThat(Thread.currentThread().isInterrupted()).isTrue();
            } finally {
                Thread.interrupted();
            }
            Await.until(() -> pool.stats().size() == 1, BOUND, () -> "refilled: " + pool.stats());
        }
    }

    @Test
    void aClosedPoolSoftEvictsNothing() throws Exception {
        ConnPool pool = ConnPool.create("closed", ConnPoolConfig.builder().minSize(1).maxSize(1).build(), tcp());
        pool.close();
        assertThat(pool.softEvictAll()).isZero();
        assertThat(pool.stats().lifetimeClosed()).isZero();
        server.awaitOpen(0, BOUND);
    }

    @Test
    @Stress
    void aThousandSoftEvictionsUnderLoadKeepEveryInvariant() throws Exception {
        try (ConnPool pool = ConnPool.create("churn", ConnPoolConfig.builder().minSize(1).maxSize(3)
                .evictInterval(Duration.ofMillis(5)).build(), tcp())) {
            Set<Socket> lentTwice = ConcurrentHashMap.newKeySet();
            Set<Socket> lent = ConcurrentHashMap.newKeySet();
            InvariantsTest.onThreads(6, Duration.ofSeconds(40), () -> {
                for (int i = 0; i < 300; i++) {
                    try (PooledConnection c = pool.get(Duration.ofSeconds(10))) {
                        if (!lent.add(c.socket())) {
                            lentTwice.add(c.socket());
                        }
                        lent.remove(c.socket());
                    }
                }
            }, () -> {
                for (int i = 0; i < 1000; i++) {
                    pool.softEvictAll();
                }
            });
            assertThat(lentTwice).isEmpty();
            PoolStats s = pool.stats();
            assertThat(s.successes()).isEqualTo(6 * 300);
            assertThat(s.timeouts()).isZero();
            assertThat(s.closed()).isEqualTo(s.created() - s.size());
            Await.until(() -> pool.stats().size() >= 1, BOUND, () -> "minSize kept: " + pool.stats());
            Echo.assertFullyUsable(pool);
        }
    }

    @Test
    @Stress
    void closeRacingSoftEvictionsThrowsOnlyPoolClosedException() throws Exception {
        CloseRace.run("race", name -> ConnPool.create(name, ConnPoolConfig.builder().minSize(2).maxSize(3)
                .evictInterval(Duration.ofMillis(1)).build(), tcp()), Duration.ofSeconds(5), ConnPool::softEvictAll);
        server.awaitOpen(0, BOUND);
    }

    @Test
    void virtualThreadsNeverGetARetiredConnection() throws Exception {
        ThreadFactory virtual = VirtualThreads.factory();
        try (ConnPool pool = ConnPool.create("virtual", ConnPoolConfig.builder().maxSize(4).build(), tcp())) {
            List<PooledConnection> held = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                held.add(pool.get(BOUND));
            }
            Set<Socket> old = Collections.newSetFromMap(new IdentityHashMap<>());
            held.forEach(c -> old.add(c.socket()));
            held.subList(0, 2).forEach(PooledConnection::close);
            pool.softEvictAll();
            held.subList(2, 4).forEach(PooledConnection::close);
            List<AsyncGet> gets = AsyncGet.startMany(200, virtual, pool, Duration.ofSeconds(20), true);
            for (AsyncGet g : gets) {
                g.connection(BOUND);
                assertThat(old).doesNotContain(g.socket());
            }
        }
    }

    /**
     * A lent connection soft-evicted is closed on its return even when it was lent through the
     * lock-free path (its return is then one CAS, which must still notice the eviction).
     */
    @Test
    void aConnectionLentLockFreeAndSoftEvictedIsClosedOnItsReturn() throws Exception {
        try (ConnPool pool = ConnPool.create("soft-ghost", ConnPoolConfig.builder().maxSize(1)
                .healthCheck(HealthCheck.none()).evictInterval(Duration.ZERO).build(), tcp())) {
            pool.get().close();
            PooledConnection c = pool.get(); // this thread's last return: lent lock-free
            Socket s = c.socket();
            assertThat(pool.softEvictAll()).as("none idle").isZero();
            c.close();
            assertThat(s.isClosed()).isTrue();
            PoolStats stats = pool.stats();
            assertThat(stats.lifetimeClosed()).isEqualTo(1);
            assertThat(stats.available()).isZero();
            try (PooledConnection next = pool.get()) {
                assertThat(next.socket()).isNotSameAs(s);
            }
        }
    }
}
