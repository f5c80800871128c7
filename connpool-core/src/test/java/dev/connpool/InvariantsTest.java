package dev.connpool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.connpool.testkit.Await;
import dev.connpool.testkit.CountingServer;
import dev.connpool.testkit.NoPoolThreads;
import dev.connpool.testkit.Stress;
import dev.connpool.testkit.TestServer;
import dev.connpool.testkit.Worker;
import java.io.IOException;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * DESIGN §5: one test per invariant, each able to fail if the invariant broke. Load from many threads
 * for seconds each: a stress suite, left out of the mutation run.
 */
@Stress
@Timeout(60)
@ExtendWith(NoPoolThreads.class)
class InvariantsTest {

    /** A factory whose sockets close with linger, for exact counts on a {@link CountingServer}. */
    static ConnectionFactory lingering(int port) {
        ConnectionFactory tcp = ConnectionFactory.tcp("127.0.0.1", port, Duration.ofSeconds(5));
        return () -> CountingServer.lingering(tcp.create());
    }

    /** Runs a body on n threads and waits for them, rethrowing the first failure. */
    static void onThreads(int n, Duration timeout, ThrowingRunnable body) throws Exception {
        onThreads(n, timeout, body, null);
    }

    /** As above, plus one more thread running another body alongside (a closer, say). */
    static void onThreads(int n, Duration timeout, ThrowingRunnable body, ThrowingRunnable beside)
            throws Exception {
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < n + (beside == null ? 0 : 1); i++) {
            ThrowingRunnable work = i < n ? body : beside;
            Thread t = new Thread(() -> {
                try {
                    start.await();
                    work.run();
                } catch (Throwable e) {
                    failures.add(e);
                }
            }, "worker-" + i);
            t.start();
            threads.add(t);
        }
        start.countDown();
        long deadline = System.nanoTime() + timeout.toNanos();
        for (Thread t : threads) {
            TimeUnit.NANOSECONDS.timedJoin(t, Math.max(1, deadline - System.nanoTime()));
            if (t.isAlive()) {
                throw new AssertionError("worker did not finish in time: " + t.getName());
            }
        }
        if (!failures.isEmpty()) {
            AssertionError e = new AssertionError("a worker failed: " + failures.get(0), failures.get(0));
            failures.stream().skip(1).limit(5).forEach(e::addSuppressed);
            throw e;
        }
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }

    @Test
    void neverMoreThanMaxSizeSocketsOpenCountedOnTheServer() throws Exception {
        try (CountingServer server = new CountingServer();
             ConnPool pool = ConnPool.create("max", ConnPoolConfig.builder().maxSize(4).increment(2)
                     .maxLifetime(Duration.ofMillis(50)).evictInterval(Duration.ofMillis(10)).build(),
                     lingering(server.port()))) {
            onThreads(16, Duration.ofSeconds(30), () -> {
                for (int i = 0; i < 300; i++) {
                    try (PooledConnection c = pool.get(Duration.ofSeconds(10))) {
                        if (ThreadLocalRandom.current().nextInt(10) == 0) {
                            c.markUnusable(); // churn: closes and reopens keep the room busy
                        }
                    }
                }
            });
            assertThat(server.accepted()).isGreaterThan(20); // there was churn
            assertThat(server.maxOpen()).isLessThanOrEqualTo(4);
        }
    }

    @Test
    void aSocketIsNeverLentToTwoCallersAtOnce() throws Exception {
        try (TestServer server = TestServer.echo();
             ConnPool pool = ConnPool.create("exclusive", ConnPoolConfig.builder().maxSize(3)
                     .healthCheck(HealthCheck.none()).build(),
                     ConnectionFactory.tcp(server.host(), server.port(), Duration.ofSeconds(5)))) {
            Set<Socket> lent = ConcurrentHashMap.newKeySet();
            AtomicInteger overlaps = new AtomicInteger();
            onThreads(12, Duration.ofSeconds(30), () -> {
                for (int i = 0; i < 2000; i++) {
                    PooledConnection c = pool.get(Duration.ofSeconds(10));
                    Socket s = c.socket();
                    if (!lent.add(s)) {
                        overlaps.incrementAndGet();
                    }
                    Thread.onSpinWait();
                    lent.remove(s);
                    int misuse = ThreadLocalRandom.current().nextInt(4);
                    if (misuse == 1) {
                        c.markUnusable();
                    }
                    c.close();
                    if (misuse >= 2) {
                        c.close(); // double close of a returned lease, possibly after someone else got it
                        c.markUnusable();
                    }
                }
            });
            assertThat(overlaps).hasValue(0);
        }
    }

    /**
     * Health checks that fail at random under contention (each failure queues its waiter again first
     * in line): every get is served, the server never sees more than maxSize sockets open, and no
     * waiter or connect is left behind.
     */
    @Test
    void failingChecksUnderContentionLoseNoCallerAndKeepTheBound() throws Exception {
        AtomicLong failures = new AtomicLong();
        HealthCheck flaky = socket -> {
            if (ThreadLocalRandom.current().nextInt(5) == 0) {
                failures.incrementAndGet();
                if (ThreadLocalRandom.current().nextBoolean()) {
                    throw new IOException("failed at random, on purpose");
                }
                throw new IllegalStateException("failed at random, on purpose");
            }
        };
        try (CountingServer server = new CountingServer();
             ConnPool pool = ConnPool.create("flaky-checks", ConnPoolConfig.builder().maxSize(3)
                     .healthCheck(flaky).evictInterval(Duration.ZERO).build(), lingering(server.port()))) {
            onThreads(12, Duration.ofSeconds(30), () -> {
                for (int i = 0; i < 300; i++) {
                    try (PooledConnection c = pool.get(Duration.ofSeconds(10))) {
                        LockSupport.parkNanos(50_000); // held long enough that callers queue
                    }
                }
            });
            PoolStats stats = pool.stats();
            assertThat(stats.waitCount()).as("callers queued").isGreaterThan(100);
            assertThat(stats.requests()).isEqualTo(12 * 300);
            assertThat(stats.successes()).isEqualTo(12 * 300);
            assertThat(stats.pingFailed()).isEqualTo(failures.get()).isGreaterThan(50);
            assertThat(stats.waiters()).isZero();
            Await.until(() -> pool.stats().connecting() == 0, Duration.ofSeconds(10), () -> "connects ended: " + pool.stats());
            assertThat(server.maxOpen()).isLessThanOrEqualTo(3);
            assertThat(pool.stats().size()).isLessThanOrEqualTo(3);
        }
    }

    @Test
    void aStaleLeaseCannotReturnTheSocketOfTheNextLease() throws Exception {
        try (TestServer server = TestServer.echo();
             ConnPool pool = ConnPool.create("stale-lease", ConnPoolConfig.builder().maxSize(2)
                     .healthCheck(HealthCheck.none()).build(),
                     ConnectionFactory.tcp(server.host(), server.port(), Duration.ofSeconds(5)))) {
            PooledConnection a = pool.get();
            Socket aSocket = a.socket();
            a.close();
            PooledConnection b = pool.get();
            assertThat(b.socket()).isSameAs(aSocket); // the one a gave back
            a.close();
            a.markUnusable();
            PooledConnection c = pool.get();
            assertThat(c.socket()).isNotSameAs(b.socket());
            b.markUnusable();
            b.close();
            b.close(); // closed after markUnusable, twice
            PooledConnection d = pool.get();
            assertThat(d.socket()).isNotSameAs(c.socket());
            pool.close();
            c.close();
            c.close(); // closed after pool.close(), twice
            d.close();
            PoolStats s = pool.stats();
            assertThat(s.unusableClosed()).isEqualTo(1);
            assertThat(s.closed()).isEqualTo(s.created());
        }
    }

    @Test
    void everySocketIsClosedExactlyOnce() throws Exception {
        Map<Socket, AtomicInteger> closes = new ConcurrentHashMap<>();
        try (TestServer server = TestServer.echo()) {
            ConnectionFactory counting = () -> {
                Socket s = new Socket() {
                    @Override
                    public synchronized void close() throws IOException {
                        closes.get(this).incrementAndGet();
                        super.close();
                    }
                };
                closes.put(s, new AtomicInteger());
                s.connect(new java.net.InetSocketAddress(server.host(), server.port()), 5000);
                return s;
            };
            ConnPool pool = ConnPool.create("once", ConnPoolConfig.builder().minSize(2).maxSize(6)
                    .maxLifetime(Duration.ofMillis(80)).idleTimeout(Duration.ofMillis(30))
                    .evictInterval(Duration.ofMillis(10)).build(), counting);
            List<PooledConnection> held = new CopyOnWriteArrayList<>();
            onThreads(8, Duration.ofSeconds(30), () -> {
                for (int i = 0; i < 400; i++) {
                    PooledConnection c = pool.get(Duration.ofSeconds(10));
                    int r = ThreadLocalRandom.current().nextInt(20);
                    if (r == 0) {
                        c.markUnusable();
                    }
                    if (r == 1 && held.size() < 2) {
                        held.add(c); // still in use at close
                    } else {
                        c.close();
                    }
                }
            });
            pool.close();
            held.forEach(PooledConnection::close);
            server.awaitOpen(0, Duration.ofSeconds(5));
            assertThat(closes).isNotEmpty();
            assertThat(closes.values()).allMatch(n -> n.get() == 1);
            PoolStats s = pool.stats();
            assertThat(s.created()).isEqualTo(closes.size());
            assertThat(s.closed()).isEqualTo(s.created());
        }
    }

    @Test
    void waitersAreServedOrFailByTheirDeadlineAndNeverSpuriously() throws Exception {
        try (TestServer server = TestServer.echo();
             ConnPool roomy = ConnPool.create("roomy", ConnPoolConfig.builder().maxSize(8)
                     .healthCheck(HealthCheck.none()).build(),
                     ConnectionFactory.tcp(server.host(), server.port(), Duration.ofSeconds(5)));
             ConnPool tight = ConnPool.create("tight", ConnPoolConfig.builder().maxSize(2)
                     .healthCheck(HealthCheck.none()).build(),
                     ConnectionFactory.tcp(server.host(), server.port(), Duration.ofSeconds(5)))) {
            // as many threads as connections: nobody may ever fail
            onThreads(8, Duration.ofSeconds(30), () -> {
                for (int i = 0; i < 2000; i++) {
                    roomy.get(Duration.ofMillis(500)).close();
                }
            });
            assertThat(roomy.stats().timeouts()).isZero();
            // more threads than connections, holders keep them long: timeouts happen, and on time
            Duration timeout = Duration.ofMillis(20);
            AtomicLong late = new AtomicLong();
            AtomicInteger served = new AtomicInteger();
            AtomicInteger timedOut = new AtomicInteger();
            onThreads(8, Duration.ofSeconds(30), () -> {
                for (int i = 0; i < 60; i++) {
                    long start = System.nanoTime();
                    try (PooledConnection c = tight.get(timeout)) {
                        served.incrementAndGet();
                        GetTest.pause(Duration.ofMillis(ThreadLocalRandom.current().nextInt(30)));
                    } catch (AcquireTimeoutException e) {
                        timedOut.incrementAndGet();
                        long over = System.nanoTime() - start - timeout.toNanos();
                        late.accumulateAndGet(over, Math::max);
                        assertThat(over).isGreaterThanOrEqualTo(0);
                    }
                }
            });
            assertThat(served.get()).isGreaterThan(0);
            assertThat(timedOut.get()).isGreaterThan(0);
            assertThat(Duration.ofNanos(late.get())).isLessThan(Duration.ofSeconds(1));
            assertThat(tight.stats().timeouts()).isEqualTo(timedOut.get());
        }
    }

    @Test
    void closeRacingWithGetReleaseAndEvictorThrowsOnlyPoolClosedException() throws Exception {
        for (int round = 0; round < 20; round++) {
            try (TestServer server = TestServer.echo()) {
                ConnPool pool = ConnPool.create("race-" + round, ConnPoolConfig.builder().minSize(2).maxSize(4)
                        .idleTimeout(Duration.ofMillis(5)).maxLifetime(Duration.ofMillis(20))
                        .evictInterval(Duration.ofMillis(1)).build(),
                        ConnectionFactory.tcp(server.host(), server.port(), Duration.ofSeconds(5)));
                CountDownLatch running = new CountDownLatch(4);
                List<Throwable> unexpected = new CopyOnWriteArrayList<>();
                List<Thread> threads = new ArrayList<>();
                for (int i = 0; i < 6; i++) {
                    Thread t = new Thread(() -> {
                        running.countDown();
                        try {
                            while (true) {
                                try (PooledConnection c = pool.get(Duration.ofSeconds(5))) {
                                    c.getOutputStream().write(1);
                                }
                            }
                        } catch (PoolClosedException expected) {
                            // the only way out
                        } catch (Throwable e) {
                            unexpected.add(e);
                        }
                    });
                    t.start();
                    threads.add(t);
                }
                running.await(5, TimeUnit.SECONDS);
                GetTest.pause(Duration.ofMillis(ThreadLocalRandom.current().nextInt(3, 20)));
                pool.close();
                for (Thread t : threads) {
                    t.join(5_000);
                    assertThat(t.isAlive()).isFalse();
                }
                assertThat(unexpected).isEmpty();
                server.awaitOpen(0, Duration.ofSeconds(5));
                PoolStats s = pool.stats();
                assertThat(s.closed()).isEqualTo(s.created());
                assertThat(s.size()).isZero();
            }
        }
    }

    @ParameterizedTest(name = "maxConnectBackoff {0} ms")
    @ValueSource(ints = {0, 10_000})
    void failedConnectsFreeTheirRoomAndThePoolRefillsAfterTheOutage(int backoffMillis) throws Exception {
        TestServer server = TestServer.echo();
        int port = server.port();
        try (ConnPool pool = ConnPool.create("outage", ConnPoolConfig.builder().minSize(1).maxSize(4)
                .evictInterval(Duration.ofMillis(20)).maxConnectBackoff(Duration.ofMillis(backoffMillis)).build(),
                ConnectionFactory.tcp("127.0.0.1", port, Duration.ofSeconds(2)))) {
            server.close();
            // during the outage every get fails fast, many times over more than maxSize: without
            // backoff each one after a failed connect of its own, with it refused at once
            for (int i = 0; i < 20; i++) {
                assertThatThrownBy(() -> pool.get(Duration.ofSeconds(5))).isInstanceOf(ConnectFailedException.class);
            }
            if (backoffMillis == 0) {
                assertThat(pool.stats().connectFailures()).isGreaterThanOrEqualTo(20);
            } else {
                assertThat(pool.stats().connectFailures()).isBetween(1L, 5L);
            }
            assertThat(pool.stats().connecting()).isLessThanOrEqualTo(1);
            server = TestServer.start(TestServer.Mode.ECHO, port, null);
            TestServer up = server;
            Await.until(() -> pool.stats().size() >= 1, Duration.ofSeconds(5), "refilled after the outage");
            // the whole maxSize is usable again
            List<PooledConnection> all = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                all.add(pool.get(Duration.ofSeconds(5)));
            }
            up.awaitOpen(4, Duration.ofSeconds(5));
            all.forEach(PooledConnection::close);
        } finally {
            server.close();
        }
    }

    @Test
    void countersAreMonotonicAndConsistentUnderLoad() throws Exception {
        try (TestServer server = TestServer.echo();
             ConnPool pool = ConnPool.create("counters", ConnPoolConfig.builder().maxSize(4)
                     .maxLifetime(Duration.ofMillis(30)).idleTimeout(Duration.ofMillis(10))
                     .evictInterval(Duration.ofMillis(5)).build(),
                     ConnectionFactory.tcp(server.host(), server.port(), Duration.ofSeconds(5)))) {
            CountDownLatch done = new CountDownLatch(1);
            List<String> violations = new CopyOnWriteArrayList<>();
            Worker sampler = Worker.start("sampler", () -> {
                PoolStats prev = pool.stats();
                while (done.getCount() > 0) {
                    PoolStats s = pool.stats();
                    check(prev, s, violations);
                    prev = s;
                }
            });
            try {
                onThreads(8, Duration.ofSeconds(30), () -> {
                    for (int i = 0; i < 1500; i++) {
                        try (PooledConnection c = pool.get(Duration.ofMillis(50))) {
                            if (i % 50 == 0) {
                                c.markUnusable();
                            }
                        } catch (AcquireTimeoutException e) {
                            // counted, fine
                        }
                    }
                });
            } finally {
                done.countDown();
                sampler.join(Duration.ofSeconds(5));
            }
            assertThat(violations).isEmpty();
            PoolStats end = pool.stats();
            assertThat(end.requests()).isEqualTo(8 * 1500);
            assertThat(end.successes() + end.timeouts()).isEqualTo(end.requests());
        }
    }

    static void check(PoolStats prev, PoolStats s, List<String> violations) {
        long[][] pairs = {
            {prev.requests(), s.requests()}, {prev.successes(), s.successes()}, {prev.timeouts(), s.timeouts()},
            {prev.created(), s.created()}, {prev.connectFailures(), s.connectFailures()},
            {prev.idleClosed(), s.idleClosed()}, {prev.lifetimeClosed(), s.lifetimeClosed()},
            {prev.pingFailed(), s.pingFailed()}, {prev.unusableClosed(), s.unusableClosed()},
            {prev.shutdownClosed(), s.shutdownClosed()}, {prev.waitCount(), s.waitCount()},
        };
        for (long[] p : pairs) {
            if (p[1] < p[0]) {
                violations.add("counter went down: " + prev + " -> " + s);
            }
        }
        if (s.successes() > s.requests()) {
            violations.add("successes > requests: " + s);
        }
        if (s.closed() != s.created() - s.size()) {
            violations.add("close reasons do not add up to created - size: " + s);
        }
        if (s.active() < 0 || s.available() < 0 || s.active() + s.available() > s.size()) {
            violations.add("inconsistent sizes: " + s);
        }
    }
}
