package dev.connpool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.connpool.testkit.AsyncGet;
import dev.connpool.testkit.BackingOff;
import dev.connpool.testkit.Await;
import dev.connpool.testkit.CountingServer;
import dev.connpool.testkit.Echo;
import dev.connpool.testkit.EchoBackendTest;
import dev.connpool.testkit.GatedFactory;
import dev.connpool.testkit.Interrupts;
import dev.connpool.testkit.Stress;
import dev.connpool.testkit.SwitchableFactory;
import dev.connpool.testkit.Threads;
import dev.connpool.testkit.VirtualThreads;
import java.io.InterruptedIOException;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * {@code suspend()}/{@code resume()} (DESIGN §7.1): while suspended, {@code get} waits until resumed
 * or its deadline, interrupts, close and {@code maxWaiters} still apply, no connect starts (the
 * refill to {@code minSize} included), returns still work; resume serves the waiters. Connects are
 * counted on the server.
 */
class SuspendTest extends EchoBackendTest {

    private static final Duration BOUND = Duration.ofSeconds(5);

    private ConnPool pool(String name, ConnPoolConfig.Builder config) throws Exception {
        return ConnPool.create(name, config.build(), tcp());
    }

    /**
     * A suspended pool runs no thread of its own (a JVM checkpoint wants none): its housekeeper
     * (evictor and leak scan) is stopped and joined before suspend() returns, and back after resume(),
     * evicting again. Done many times on the same threads, and from an interrupted one.
     */
    @Test
    void aSuspendedPoolRunsNoThreadOfItsOwnAndResumeStartsItsHousekeeperAgain() throws Exception {
        try (ConnPool pool = pool("quiet", ConnPoolConfig.builder().minSize(1).maxSize(2)
                .idleTimeout(Duration.ofMillis(100)).evictInterval(Duration.ofMillis(20))
                .leakDetectionThreshold(Duration.ofSeconds(30)))) {
            String housekeeper = "connpool-quiet-housekeeper";
            Await.until(() -> threadAlive(housekeeper), BOUND, "the housekeeper runs");
            for (int i = 0; i < 200; i++) {
                pool.suspend();
                assertThat(threadAlive(housekeeper)).as("housekeeper alive after suspend #%d", i).isFalse();
                pool.resume();
            }
            Thread.currentThread().interrupt();
            try {
                pool.suspend();
                assertThat(Thread.currentThread().isInterrupted()).as("the flag is kept").isTrue();
            } finally {
                Thread.interrupted();
            }
            assertThat(threadAlive(housekeeper)).isFalse();
            pool.suspend(); // again: nothing to stop
            pool.resume();
            Await.until(() -> threadAlive(housekeeper), BOUND, "the housekeeper runs again");
            // and works: a second connection, idle past its timeout above minSize, is evicted
            PooledConnection a = pool.get(BOUND);
            PooledConnection b = pool.get(BOUND);
            a.close();
            b.close();
            Await.until(() -> pool.stats().idleClosed() >= 1, BOUND, () -> "evicted: " + pool.stats());
        }
    }

    /**
     * A suspended pool's connector threads end as soon as they have no connect to run, not after
     * their idle seconds (5): an idle one at once, one still connecting once its connect has ended;
     * that connect is not disturbed, its connection joins the pool. After resume a connector thread
     * idles for the next connect again. A checkpoint right after suspending finds no thread of the pool.
     */
    @Test
    void aSuspendedPoolsConnectorThreadsEndOnceTheyHaveNoConnectToRun() throws Exception {
        GatedFactory gated = new GatedFactory(tcp());
        try (ConnPool pool = ConnPool.create("threads", ConnPoolConfig.builder().minSize(0).maxSize(3).build(), gated)) {
            AsyncGet waiter = AsyncGet.start(pool, Duration.ofSeconds(20));
            gated.awaitEntered();
            List<Thread> gatedOnly = connectorThreads("threads");
            assertThat(gatedOnly).hasSize(1);
            Thread connecting = gatedOnly.get(0);
            // a second caller's connect goes through at once, and the connection it gives back
            // serves the first caller; its thread is idle from now on, for 5 s if not told otherwise
            pool.get(BOUND).close();
            PooledConnection first = waiter.connection(BOUND);
            List<Thread> idle = connectorThreads("threads");
            idle.remove(connecting);
            assertThat(idle).hasSize(1);

            pool.suspend();
            assertThat(Threads.joinedWithin(idle.get(0), Duration.ofSeconds(3)))
                    .as("the idle connector thread ended after suspend").isTrue();
            assertThat(connecting.isAlive()).as("the connect in progress goes on").isTrue();

            gated.release();
            assertThat(Threads.joinedWithin(connecting, Duration.ofSeconds(3)))
                    .as("the connector thread ended after its connect").isTrue();
            server.awaitOpen(2, BOUND);
            assertThat(pool.stats().size()).as("the connect made while suspended joined the pool").isEqualTo(2);

            pool.resume();
            try (PooledConnection second = pool.get(BOUND); PooledConnection third = pool.get(BOUND)) {
                assertThat(List.of(first, second, third)).doesNotHaveDuplicates();
                // a client's connect returns before the server's accept() counts it
                server.awaitAccepted(3, BOUND);
                assertThat(server.accepted()).as("one connect after resume, for the third").isEqualTo(3);
            }
            first.close();
            List<Thread> afterResume = connectorThreads("threads");
            assertThat(afterResume).as("the thread of the connect made after resume").hasSize(1);
            assertThat(Threads.joinedWithin(afterResume.get(0), Duration.ofMillis(300)))
                    .as("a connector thread idles for more connects again after resume").isFalse();
        }
    }

    /**
     * A probe waiting out the connect backoff (up to maxConnectBackoff) gives up when the pool is
     * suspended, not at its time: a suspended pool holds no connect in flight, and the CRaC stop,
     * which waits for connecting to reach 0, is not held for the rest of the delay. It never dials.
     */
    @Test
    void suspendCallsOffAProbeThatWaitsOutALongDelay() throws Exception {
        SwitchableFactory factory = new SwitchableFactory(SwitchableFactory.refusing());
        try (ConnPool pool = ConnPool.create("probe", ConnPoolConfig.builder().maxSize(1).build(), factory)) {
            // failures until a probe waits out a delay with over 1.2 s left (of 1.6 s, after five)
            BackingOff.untilAProbeWaits(pool, 1_200, Duration.ofSeconds(15));
            int attempts = factory.attempts();
            // the probe's, and maybe one still idle after an earlier failed connect
            List<Thread> connectors = connectorThreads("probe");
            assertThat(connectors).isNotEmpty();
            long t0 = System.nanoTime();
            pool.suspend();
            Await.until(() -> pool.stats().connecting() == 0, BOUND, () -> "called off: " + pool.stats());
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("the probe gave up on suspend, not at its time")
                    .isLessThan(Duration.ofMillis(600));
            for (Thread t : connectors) {
                assertThat(Threads.joinedWithin(t, Duration.ofSeconds(3))).as("%s ended", t.getName()).isTrue();
            }
            assertThat(factory.attempts()).as("the called-off probe never dialed").isEqualTo(attempts);
        }
    }

    private static List<Thread> connectorThreads(String pool) {
        String prefix = "connpool-" + pool + "-connect-";
        List<Thread> threads = new ArrayList<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.isAlive() && t.getName().startsWith(prefix)) {
                threads.add(t);
            }
        }
        return threads;
    }

    private static boolean threadAlive(String name) {
        return Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.isAlive() && t.getName().equals(name));
    }

    @Test
    void aGetWaitsWhileSuspendedAndIsServedOnResume() throws Exception {
        try (ConnPool pool = pool("paused", ConnPoolConfig.builder().minSize(1).maxSize(2))) {
            server.awaitOpen(1, BOUND);
            pool.suspend();
            assertThat(pool.isSuspended()).isTrue();
            AsyncGet waiter = AsyncGet.start(pool, Duration.ofSeconds(20));
            Await.until(() -> pool.stats().waiters() == 1, BOUND, () -> "waiting: " + pool.stats());
            assertThat(waiter.isDone()).as("an idle connection is there, but the pool is suspended").isFalse();
            pool.resume();
            assertThat(pool.isSuspended()).isFalse();
            try (PooledConnection c = waiter.connection(BOUND)) {
                Echo.roundTrip(c);
            }
            assertThat(server.accepted()).as("served the idle connection, opened nothing").isEqualTo(1);
        }
    }

    @Test
    void aGetTimesOutAtItsDeadlineWhileSuspended() throws Exception {
        try (ConnPool pool = pool("paused-timeout", ConnPoolConfig.builder().minSize(1).maxSize(2))) {
            pool.suspend();
            for (Duration timeout : List.of(Duration.ZERO, Duration.ofNanos(500_000), Duration.ofMillis(200))) {
                long t0 = System.nanoTime();
                assertThatThrownBy(() -> pool.get(timeout)).isInstanceOf(AcquireTimeoutException.class);
                Duration took = Duration.ofNanos(System.nanoTime() - t0);
                assertThat(took).as("timeout %s", timeout).isGreaterThanOrEqualTo(timeout)
                        .isLessThan(timeout.plusSeconds(1));
            }
            assertThat(pool.stats().timeouts()).isEqualTo(3);
            assertThat(pool.stats().successes()).isZero();
        }
    }

    @Test
    void noConnectStartsWhileSuspendedNotEvenTheRefill() throws Exception {
        try (ConnPool pool = pool("no-connects", ConnPoolConfig.builder().minSize(2).maxSize(4)
                .evictInterval(Duration.ofMillis(10)))) {
            server.awaitOpen(2, BOUND);
            pool.suspend();
            assertThat(pool.evictIdle()).isEqualTo(2);
            AsyncGet waiter = AsyncGet.start(pool, Duration.ofSeconds(20));
            Await.until(() -> pool.stats().waiters() == 1, BOUND, () -> "waiting: " + pool.stats());
            server.awaitOpen(0, BOUND);
            // many evictor runs (every 10 ms) later, still nothing: the runs wait for a tick each
            long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200);
            Await.until(() -> System.nanoTime() - until > 0, BOUND, "200 ms passed");
            assertThat(server.accepted()).isEqualTo(2);
            assertThat(pool.stats().connecting()).isZero();
            pool.resume();
            waiter.connection(BOUND).close();
            Await.until(() -> pool.stats().size() == 2, BOUND, () -> "refilled: " + pool.stats());
            server.awaitOpen(2, BOUND);
        }
    }

    /**
     * With the evictor off nothing else refills: resume itself starts the connects that bring the pool
     * back to {@code minSize}, without waiting for a get.
     */
    @Test
    void resumeRefillsToMinSizeWithTheEvictorOff() throws Exception {
        try (ConnPool pool = pool("resume-refill", ConnPoolConfig.builder().minSize(2).maxSize(4)
                .evictInterval(Duration.ZERO))) {
            server.awaitOpen(2, BOUND);
            pool.suspend();
            assertThat(pool.evictIdle()).isEqualTo(2);
            server.awaitOpen(0, BOUND);
            assertThat(pool.stats().size()).isZero();
            pool.resume();
            Await.until(() -> pool.stats().size() == 2, BOUND, () -> "refilled by resume: " + pool.stats());
            server.awaitOpen(2, BOUND);
            assertThat(pool.stats().requests()).as("no get asked for them").isZero();
        }
    }

    /**
     * A resume with nobody waiting leaves nothing owed to anyone: the next get takes the idle
     * connection at once, even in a pool where no caller may wait (maxWaiters 0).
     */
    @Test
    void aResumeWithNobodyWaitingLetsTheNextGetTakeTheIdleConnectionAtOnce() throws Exception {
        try (ConnPool pool = pool("resume-none-waiting", ConnPoolConfig.builder().minSize(1).maxSize(1)
                .maxWaiters(0).evictInterval(Duration.ZERO))) {
            pool.suspend();
            pool.resume();
            try (PooledConnection c = pool.get(BOUND)) {
                Echo.roundTrip(c);
            }
            assertThat(server.accepted()).as("served the idle connection, opened nothing").isEqualTo(1);
        }
    }

    @Test
    void returnsStillWorkWhileSuspendedAndWaitersWaitForTheResume() throws Exception {
        try (ConnPool pool = pool("returns", ConnPoolConfig.builder().maxSize(1))) {
            PooledConnection lent = pool.get(BOUND);
            Socket socket = lent.socket();
            pool.suspend();
            AsyncGet waiter = AsyncGet.start(pool, Duration.ofSeconds(20));
            Await.until(() -> pool.stats().waiters() == 1, BOUND, () -> "waiting: " + pool.stats());
            lent.close();
            Await.until(() -> pool.stats().available() == 1, BOUND, () -> "returned: " + pool.stats());
            assertThat(waiter.isDone()).isFalse();
            pool.resume();
            try (PooledConnection c = waiter.connection(BOUND)) {
                assertThat(c.socket()).isSameAs(socket);
            }
        }
    }

    @Test
    void aConnectInFlightWhenSuspendedBecomesIdleNotLent() throws Exception {
        GatedFactory gated = new GatedFactory(tcp());
        try (ConnPool pool = ConnPool.create("in-flight", ConnPoolConfig.builder().maxSize(1).build(), gated)) {
            AsyncGet waiter = AsyncGet.start(pool, Duration.ofSeconds(20));
            gated.awaitEntered();
            pool.suspend();
            gated.release();
            Await.until(() -> pool.stats().available() == 1, BOUND, () -> "connected, idle: " + pool.stats());
            assertThat(waiter.isDone()).isFalse();
            pool.resume();
            waiter.connection(BOUND).close();
            // the server counts on its accept thread, which may not have run yet: wait for it, then
            // check that the connect made while suspended was the only one
            server.awaitAccepted(1, BOUND);
            assertThat(server.accepted()).isEqualTo(1);
        }
    }

    @Test
    void interruptsEndAWaitWhileSuspended() throws Exception {
        try (ConnPool pool = pool("interrupted", ConnPoolConfig.builder().minSize(1).maxSize(1))) {
            pool.suspend();
            Interrupts.getFailsKeepingTheFlag(pool, BOUND);
            AsyncGet waiter = AsyncGet.start(pool, Duration.ofSeconds(20));
            Await.until(() -> pool.stats().waiters() == 1, BOUND, () -> "waiting: " + pool.stats());
            waiter.interrupt();
            assertThat(waiter.outcome(BOUND)).isInstanceOf(InterruptedIOException.class);
            assertThat(waiter.interruptKept()).isTrue();
            assertThat(pool.stats().available()).as("nothing lost").isEqualTo(1);
        }
    }

    @Test
    void maxWaitersStillAppliesWhileSuspended() throws Exception {
        try (ConnPool pool = pool("crowded", ConnPoolConfig.builder().maxSize(4).maxWaiters(1))) {
            pool.suspend();
            AsyncGet first = AsyncGet.start(pool, Duration.ofSeconds(20));
            Await.until(() -> pool.stats().waiters() == 1, BOUND, () -> "waiting: " + pool.stats());
            // with room for three more connections, the second caller would connect, but not now
            assertThatThrownBy(() -> pool.get(BOUND)).isInstanceOf(TooManyWaitersException.class);
            pool.resume();
            first.connection(BOUND).close();
        }
    }

    @Test
    void closingASuspendedPoolFailsItsWaiters() throws Exception {
        ConnPool pool = pool("closed-while-paused", ConnPoolConfig.builder().minSize(1).maxSize(1));
        pool.suspend();
        AsyncGet waiter = AsyncGet.start(pool, Duration.ofSeconds(20));
        Await.until(() -> pool.stats().waiters() == 1, BOUND, () -> "waiting: " + pool.stats());
        pool.close();
        assertThat(waiter.outcome(BOUND)).isInstanceOf(PoolClosedException.class);
        assertThatThrownBy(() -> pool.get(BOUND)).isInstanceOf(PoolClosedException.class);
        pool.resume(); // does nothing to a closed pool, throws nothing
        pool.suspend();
        assertThatThrownBy(() -> pool.get(Duration.ZERO)).isInstanceOf(PoolClosedException.class);
        server.awaitOpen(0, BOUND);
    }

    @Test
    void suspendAndResumeAreIdempotent() throws Exception {
        try (ConnPool pool = pool("twice", ConnPoolConfig.builder().maxSize(1))) {
            pool.resume();
            assertThat(pool.isSuspended()).isFalse();
            pool.suspend();
            pool.suspend();
            assertThat(pool.isSuspended()).isTrue();
            pool.resume();
            pool.resume();
            assertThat(pool.isSuspended()).isFalse();
            pool.get(BOUND).close();
        }
    }

    @Test
    @Stress
    void aThousandSuspendsAndResumesUnderLoadLoseNothing() throws Exception {
        try (CountingServer counting = new CountingServer();
             ConnPool pool = ConnPool.create("flapping", ConnPoolConfig.builder().maxSize(3).build(),
                     InvariantsTest.lingering(counting.port()))) {
            InvariantsTest.onThreads(6, Duration.ofSeconds(40), () -> {
                for (int i = 0; i < 300; i++) {
                    try (PooledConnection c = pool.get(Duration.ofSeconds(10))) {
                        if (ThreadLocalRandom.current().nextInt(20) == 0) {
                            c.markUnusable();
                        }
                    }
                }
            }, () -> {
                for (int i = 0; i < 1000; i++) {
                    pool.suspend();
                    Thread.yield();
                    pool.resume();
                }
            });
            assertThat(pool.isSuspended()).isFalse();
            PoolStats s = pool.stats();
            assertThat(s.successes()).isEqualTo(6 * 300);
            assertThat(s.timeouts()).isZero();
            assertThat(s.closed()).isEqualTo(s.created() - s.size());
            assertThat(counting.maxOpen()).as("server side").isLessThanOrEqualTo(3);
            Echo.assertFullyUsable(pool);
        }
    }

    @Test
    @Stress
    void closeRacingSuspendAndResumeThrowsOnlyPoolClosedException() throws Exception {
        CloseRace.run("race", name -> pool(name, ConnPoolConfig.builder().minSize(1).maxSize(2)
                .evictInterval(Duration.ofMillis(1))), Duration.ofMillis(20), pool -> {
                    pool.suspend();
                    pool.resume();
                    pool.suspend();
                }, AcquireTimeoutException.class);
        server.awaitOpen(0, BOUND);
    }

    @Test
    void virtualThreadsWaitThroughASuspension() throws Exception {
        ThreadFactory virtual = VirtualThreads.factory();
        try (ConnPool pool = pool("virtual", ConnPoolConfig.builder().maxSize(4))) {
            pool.suspend();
            List<AsyncGet> gets = AsyncGet.startMany(500, virtual, pool, Duration.ofSeconds(30), true);
            Await.until(() -> pool.stats().waiters() == 500, Duration.ofSeconds(10), () -> "all wait: " + pool.stats());
            assertThat(server.accepted()).isZero();
            pool.resume();
            // four connections serve 500 callers, each returning at once
            for (AsyncGet g : gets) {
                g.connection(Duration.ofSeconds(20));
            }
            assertThat(server.accepted()).isLessThanOrEqualTo(4);
        }
    }

    @Test
    void aRefillOnResumeWithAThrowingFactoryLosesNoRoom() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        ConnectionFactory real = tcp();
        ConnectionFactory factory = () -> {
            // the first connect after the resume throws an unchecked exception, the second an Error
            int n = calls.incrementAndGet();
            if (n == 2) {
                throw new IllegalStateException("factory bug on purpose");
            }
            if (n == 3) {
                throw new AssertionError("factory error on purpose");
            }
            return real.create();
        };
        try (ConnPool pool = ConnPool.create("resume-fails", ConnPoolConfig.builder().minSize(1).maxSize(2)
                .evictInterval(Duration.ofMillis(20)).maxConnectBackoff(Duration.ofMillis(50)).build(), factory)) {
            pool.suspend();
            assertThat(pool.evictIdle()).isEqualTo(1);
            pool.resume();
            Await.until(() -> pool.stats().size() == 1 && calls.get() >= 4, BOUND, () -> "refilled: " + pool.stats());
            assertThat(pool.stats().connectFailures()).isEqualTo(2);
            Echo.assertFullyUsable(pool);
        }
    }
}
