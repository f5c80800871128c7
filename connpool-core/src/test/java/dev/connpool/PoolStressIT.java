package dev.connpool;

import static org.assertj.core.api.Assertions.assertThat;

import dev.connpool.testkit.CountingServer;
import dev.connpool.testkit.NoPoolThreads;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The stress test of the invariants: 64 threads share a pool of 8 over real loopback sockets,
 * with a factory that fails a fifth of its connects, callers that mark connections unusable at
 * random, a health check that fails at random, short lifetimes and idle timeouts, and a close()
 * while all of it runs. Sockets are counted on the server side, and a sampler checks every stats
 * snapshot. The second run adds an operator at work under the same load: resizes, suspensions and
 * soft evictions (issue 12).
 */
@Timeout(180)
@ExtendWith(NoPoolThreads.class)
class PoolStressIT {

    private static final int THREADS = 64;
    private static final int MAX = 8;
    private static final int OPS = 2500;
    private static final Duration TIMEOUT = Duration.ofMillis(50);
    /** Scheduling slack past a deadline: 65 busy threads on 2 cores. */
    private static final Duration SLACK = Duration.ofSeconds(1);

    /** The largest maxSize the operator of the second run sets. */
    private static final int MAX_RESIZED = 12;

    @Test
    void sixtyFourThreadsOnEightConnectionsWithFaultsKeepEveryInvariant() throws Exception {
        stress("stress", null);
    }

    @Test
    void resizesSuspensionsAndSoftEvictionsUnderTheSameLoadKeepEveryInvariant() throws Exception {
        stress("stress-operated", pool -> {
            ThreadLocalRandom r = ThreadLocalRandom.current();
            switch (r.nextInt(3)) {
                case 0:
                    int max = 4 + r.nextInt(MAX_RESIZED - 3);
                    pool.resize(r.nextInt(3), max);
                    break;
                case 1:
                    pool.suspend();
                    LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(200 + r.nextInt(2_000)));
                    pool.resume();
                    break;
                default:
                    pool.softEvictAll();
                    break;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1 + r.nextInt(5)));
        });
    }

    /** One action of an operator, repeated while the workers run. */
    interface Operator {
        void act(ConnPool pool) throws Exception;
    }

    private void stress(String name, Operator operator) throws Exception {
        int mostOpen = operator == null ? MAX : MAX_RESIZED;
        try (CountingServer server = new CountingServer()) {
            ConnectionFactory tcp = ConnectionFactory.tcp("127.0.0.1", server.port(), Duration.ofSeconds(5));
            LongAdder refused = new LongAdder();
            ConnectionFactory flaky = () -> {
                if (ThreadLocalRandom.current().nextInt(5) == 0) {
                    refused.increment();
                    throw new ConnectException("refused by the test (one in five)");
                }
                return CountingServer.lingering(tcp.create());
            };
            HealthCheck sometimes = socket -> {
                HealthCheck.liveness().check(socket);
                if (ThreadLocalRandom.current().nextInt(50) == 0) {
                    throw new IOException("failed by the test (one in fifty)");
                }
            };
            ConnPool pool = ConnPool.create(name, ConnPoolConfig.builder().minSize(2).maxSize(MAX).increment(2)
                    .idleTimeout(Duration.ofMillis(20)).maxLifetime(Duration.ofMillis(200))
                    .evictInterval(Duration.ofMillis(10)).healthCheck(sometimes).failFast(false)
                    // a backend refusing one connect in five keeps the pool backing off most of the time; a
                    // 5 ms backoff runs the probe and the refusals thousands of times and still lets the load
                    // through
                    .maxConnectBackoff(Duration.ofMillis(5)).build(), flaky);

            LongAdder served = new LongAdder();
            LongAdder timedOut = new LongAdder();
            LongAdder connectFailed = new LongAdder();
            LongAdder closedFailures = new LongAdder();
            AtomicLong worstOverrun = new AtomicLong();
            Map<Class<?>, LongAdder> unexpected = new ConcurrentHashMap<>();
            List<Throwable> examples = new CopyOnWriteArrayList<>();
            AtomicBoolean closing = new AtomicBoolean();
            CountDownLatch halfway = new CountDownLatch(THREADS);
            AtomicLong operations = new AtomicLong();
            List<String> violations = new CopyOnWriteArrayList<>();
            Thread sampler = new Thread(() -> sample(pool, mostOpen, closing, violations), name + "-sampler");
            Thread operating = new Thread(() -> {
                try {
                    while (operator != null && !closing.get()) {
                        operator.act(pool);
                        operations.incrementAndGet();
                    }
                } catch (Throwable e) {
                    examples.add(e);
                } finally {
                    pool.resume();
                }
            }, name + "-operator");
            sampler.start();
            operating.start();

            InvariantsTest.onThreads(THREADS, Duration.ofSeconds(150), () -> {
                ThreadLocalRandom r = ThreadLocalRandom.current();
                byte[] out = new byte[1];
                boolean pastHalf = false;
                for (int i = 0; i < OPS; i++) {
                    if (i == OPS / 2 && !pastHalf) {
                        pastHalf = true;
                        halfway.countDown();
                    }
                    long start = System.nanoTime();
                    PooledConnection c;
                    try {
                        c = pool.get(TIMEOUT);
                    } catch (AcquireTimeoutException e) {
                        timedOut.increment();
                        continue;
                    } catch (ConnectFailedException e) {
                        // a failed connect, or refused at once while the pool backs off: asking again
                        // a moment later, as a client would, does not count as one of this worker's
                        // operations (64 threads spinning on refusals would starve everyone else)
                        connectFailed.increment();
                        i--;
                        LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(500));
                        continue;
                    } catch (PoolClosedException e) {
                        if (!closing.get()) {
                            examples.add(e);
                        }
                        closedFailures.increment();
                        return;
                    } finally {
                        // the deadline bounds get(), whatever its outcome
                        long over = System.nanoTime() - start - TIMEOUT.toNanos();
                        worstOverrun.accumulateAndGet(over, Math::max);
                    }
                    served.increment();
                    try (PooledConnection lease = c) {
                        if (r.nextInt(4) == 0) {
                            // a real round trip now and then
                            OutputStream o = lease.getOutputStream();
                            InputStream in = lease.getInputStream();
                            out[0] = (byte) i;
                            o.write(out);
                            if (in.read() != (out[0] & 0xff)) {
                                throw new AssertionError("echo mismatch: the socket was shared");
                            }
                        }
                        if (r.nextInt(20) == 0) {
                            lease.markUnusable();
                        }
                        if (r.nextInt(500) == 0) {
                            // now and then a slow user: waiters behind it time out
                            GetTest.pause(TIMEOUT.multipliedBy(2));
                        }
                    } catch (IOException e) {
                        // the close() below may close a lent socket under its user; nothing else may fail
                        if (!closing.get()) {
                            unexpected.computeIfAbsent(e.getClass(), k -> new LongAdder()).increment();
                            examples.add(e);
                        }
                    }
                }
            }, () -> {
                // First a hog: it takes all MAX connections (in the FIFO line like everyone else) and
                // holds them until some worker's deadline has passed, so timeouts happen on any machine,
                // however fast. Then the closer: it waits until every worker is halfway and closes
                // under their feet.
                List<PooledConnection> held = new ArrayList<>();
                while (held.size() < MAX) {
                    try {
                        held.add(pool.get(Duration.ofSeconds(10)));
                        served.increment();
                    } catch (AcquireTimeoutException e) {
                        timedOut.increment();
                    } catch (ConnectFailedException e) {
                        connectFailed.increment();
                    }
                }
                long holdUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (timedOut.sum() == 0 && System.nanoTime() < holdUntil) {
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
                }
                for (PooledConnection c : held) {
                    c.close();
                }
                if (halfway.await(120, TimeUnit.SECONDS)) {
                    closing.set(true);
                    operating.join(10_000);
                    pool.close();
                }
            });
            closing.set(true);
            operating.join(10_000);
            sampler.join(10_000);
            assertThat(operating.isAlive() || sampler.isAlive()).isFalse();

            System.out.println(name + ": served " + served.sum() + ", timed out " + timedOut.sum()
                    + ", connect failed or refused " + connectFailed.sum() + "; " + pool.stats());
            assertThat(examples).isEmpty();
            assertThat(unexpected).isEmpty();
            assertThat(violations).isEmpty();
            if (operator != null) {
                assertThat(operations.get()).as("operator actions").isGreaterThan(50);
                assertThat(pool.stats().lifetimeClosed()).isGreaterThan(0);
            }
            assertThat(server.maxOpen()).as("most sockets open at once, server side").isLessThanOrEqualTo(mostOpen);
            server.awaitOpen(0, Duration.ofSeconds(10));
            assertThat(Duration.ofNanos(worstOverrun.get())).as("worst overrun of a deadline").isLessThan(SLACK);
            assertThat(served.sum()).isGreaterThan(THREADS * OPS / 4);
            assertThat(timedOut.sum()).as("timeouts while the hog held every connection").isGreaterThan(0);
            assertThat(refused.sum()).isGreaterThan(0);
            assertThat(closedFailures.sum()).isGreaterThan(0);

            PoolStats s = pool.stats();
            assertThat(s.size()).isZero();
            assertThat(s.active()).isZero();
            assertThat(s.successes()).isEqualTo(served.sum());
            assertThat(s.timeouts()).isEqualTo(timedOut.sum());
            assertThat(s.requests()).isGreaterThanOrEqualTo(served.sum() + timedOut.sum() + connectFailed.sum());
            assertThat(s.closed()).isEqualTo(s.created());
            assertThat(s.created()).isEqualTo(server.accepted());
            assertThat(s.connectFailures()).isEqualTo(refused.sum());
            assertThat(s.pingFailed()).isGreaterThan(0);
            assertThat(s.unusableClosed()).isGreaterThan(0);
            assertThat(s.lifetimeClosed() + s.idleClosed()).isGreaterThan(0);
        }
    }

    /** Checks every snapshot until the pool closes: counters monotonic and adding up, sizes consistent. */
    private static void sample(ConnPool pool, int mostOpen, AtomicBoolean closing, List<String> violations) {
        PoolStats prev = pool.stats();
        while (!closing.get()) {
            PoolStats s = pool.stats();
            InvariantsTest.check(prev, s, violations);
            if (s.size() > mostOpen || s.waiters() < 0 || s.connecting() < 0) {
                violations.add("sizes beyond " + mostOpen + ": " + s);
            }
            prev = s;
            LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(100));
        }
    }
}
