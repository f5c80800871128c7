package dev.connpool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.connpool.internal.EngineHooks;
import dev.connpool.testkit.BackingOff;
import dev.connpool.testkit.BrokenFactory;
import dev.connpool.testkit.AsyncGet;
import dev.connpool.testkit.Await;
import dev.connpool.testkit.Certificates;
import dev.connpool.testkit.Echo;
import dev.connpool.testkit.FailingCheck;
import dev.connpool.testkit.GatedFactory;
import dev.connpool.testkit.Interrupts;
import dev.connpool.testkit.NoPoolThreads;
import dev.connpool.testkit.SlowCloseFactory;
import dev.connpool.testkit.Stress;
import dev.connpool.testkit.SwitchableFactory;
import dev.connpool.testkit.TestServer;
import dev.connpool.testkit.VirtualThreads;
import dev.connpool.testkit.Worker;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code maxConnectBackoff} (DESIGN §7.1, issue 12): while the backend refuses, connects are spaced
 * 100 ms, 200 ms, ... up to the max; a caller that needs a connect meanwhile fails at once with the
 * latest failure if nothing lent could come back to it, else waits for a return; the pool serves
 * again within the backoff (plus scheduling) of the backend's return. Connect attempts are counted
 * by the factory; the backend is a real loopback port, closed while "down".
 */
@Timeout(60)
@ExtendWith(NoPoolThreads.class)
class ConnectBackoffTest {

    private static final Duration BOUND = Duration.ofSeconds(5);
    /** The backoff's first delay (DESIGN §7.1). */
    private static final Duration FIRST_DELAY = Duration.ofMillis(100);

    private TestServer live;
    private SwitchableFactory factory;

    @BeforeEach
    void backendDown() throws IOException {
        live = TestServer.echo();
        factory = new SwitchableFactory(SwitchableFactory.refusing());
    }

    @AfterEach
    void stopBackend() throws IOException {
        live.close();
    }

    private ConnectionFactory liveTcp() {
        return ConnectionFactory.tcp(live.host(), live.port(), BOUND);
    }

    /**
     * A waiter whose connection fails its check, in a full pool backing off from failed connects
     * whose only connection that was, is not refused once the backoff's delay is over: the room the
     * failed connection frees lets the probe dial (the backend is back), for this waiter. Nor is a
     * caller that arrives while that connection is being closed (its room not yet free): it queues
     * behind. (Found by the two reviews of the requeue fix: the waiter, then the newcomer, found no
     * room for a probe and nothing open but the dying connection, and were refused at once.)
     */
    @Test
    void aWaiterWhoseConnectionFailsItsCheckWhileBackingOffGetsTheProbesConnection() throws Exception {
        FailingCheck failsOne = FailingCheck.ioException();
        SlowCloseFactory slowClose = new SlowCloseFactory(live.host(), live.port());
        factory.switchTo(slowClose);
        try (ConnPool pool = ConnPool.create("requeue-backoff", ConnPoolConfig.builder().maxSize(2)
                .evictInterval(Duration.ZERO).healthCheck(failsOne).maxConnectBackoff(FIRST_DELAY).build(), factory)) {
            PooledConnection held = pool.get(BOUND);
            factory.switchTo(SwitchableFactory.refusing());
            assertThatThrownBy(() -> pool.get(Duration.ofMillis(300))).isInstanceOf(ConnectFailedException.class);
            Await.until(() -> pool.stats().connecting() == 0, BOUND, () -> "the refused connect ended: " + pool.stats());
            factory.switchTo(slowClose);
            pool.resize(0, 1); // full: the held connection is its only one
            // the backoff's delay (at most maxConnectBackoff) runs on the clock alone: nothing to wait for but time
            Thread.sleep(FIRST_DELAY.toMillis() + 50);
            AsyncGet waiter = AsyncGet.start(pool, BOUND);
            Await.until(() -> pool.stats().waiters() == 1, BOUND, () -> "queued: " + pool.stats());
            slowClose.holdCloseOf(held.socket());
            failsOne.mark(held.socket());
            held.close();
            slowClose.awaitInClose();
            AsyncGet newcomer = AsyncGet.start(pool, BOUND);
            Await.until(() -> pool.stats().waiters() == 2 || newcomer.isDone(), BOUND, () -> "newcomer queued: " + pool.stats());
            assertThat(newcomer.isDone()).as("the newcomer queued, not refused").isFalse();
            slowClose.release();
            try (PooledConnection c = waiter.connection(BOUND)) {
                assertThat(newcomer.isDone()).as("the newcomer waits behind").isFalse();
                Echo.roundTrip(c);
            }
            newcomer.connection(BOUND).close();
            PoolStats stats = pool.stats();
            assertThat(stats.pingFailed()).isEqualTo(1);
            assertThat(stats.created()).isEqualTo(2);
        }
    }

    /**
     * A connection being closed does not hold off the refusal when a probe has room of its own: a
     * caller that needs a connect while the pool backs off, with nothing live, is refused at once
     * (here before its deadline), not kept waiting for the close. (Found by the third review of the
     * requeue fix: counting every connection being closed as one that could come back kept such a
     * caller waiting out its deadline while probes came and went.)
     */
    @Test
    void aConnectionBeingClosedDoesNotHoldOffTheRefusalWhenTheProbeHasRoom() throws Exception {
        SlowCloseFactory slowClose = new SlowCloseFactory(live.host(), live.port());
        factory.switchTo(slowClose);
        try (ConnPool pool = ConnPool.create("closing-refusal", ConnPoolConfig.builder().maxSize(2)
                .evictInterval(Duration.ZERO).healthCheck(HealthCheck.none()).build(), factory)) {
            PooledConnection held = pool.get(BOUND);
            factory.switchTo(SwitchableFactory.refusing());
            assertThatThrownBy(() -> pool.get(Duration.ofMillis(300))).isInstanceOf(ConnectFailedException.class);
            slowClose.holdCloseOf(held.socket());
            held.markUnusable();
            Worker closing = Worker.start("closing", held::close);
            try {
                slowClose.awaitInClose();
                assertThatThrownBy(() -> pool.get(BOUND)).isInstanceOf(ConnectFailedException.class)
                        .hasMessageContaining("no connection in use could come back");
            } finally {
                slowClose.release();
                closing.join(BOUND);
            }
        }
    }

    /**
     * The acceptance measurement: 16 callers loop {@code get(100 ms)} for 3 s against a backend that
     * refuses. Without backoff the pool dialled about 12,500 times in those 3 s (measured on the
     * engine before it, on a loaded 2-core machine); with it, a burst of at most maxSize and then a
     * probe per delay.
     */
    @Test
    @Stress
    void sixteenCallersAgainstARefusingBackendDialInTheTensAndAreServedSoonAfterItReturns() throws Exception {
        ConnPoolConfig config = ConnPoolConfig.builder().maxSize(8).failFast(false).build();
        LongAdder gets = new LongAdder();
        LongAdder timeouts = new LongAdder();
        LongAdder nanosInGet = new LongAdder();
        try (ConnPool pool = ConnPool.create("backoff", config, factory)) {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
            InvariantsTest.onThreads(16, Duration.ofSeconds(30), () -> {
                while (System.nanoTime() - end < 0) {
                    gets.increment();
                    long t0 = System.nanoTime();
                    try (PooledConnection c = pool.get(Duration.ofMillis(100))) {
                        throw new AssertionError("served by a refusing backend: " + c);
                    } catch (ConnectFailedException expected) {
                        // its own connect failed, or it was refused at once while backing off
                    } catch (AcquireTimeoutException rare) {
                        timeouts.increment(); // waited on a connect in flight that this machine ran late
                    } finally {
                        nanosInGet.add(System.nanoTime() - t0);
                    }
                }
            });
            int attempts = factory.attempts();
            System.out.println("connect attempts in 3 s of outage: " + attempts + " (gets: " + gets.sum()
                    + ", timed out: " + timeouts.sum() + ")");
            assertThat(attempts).as("connect attempts in 3 s, %s gets", gets.sum()).isBetween(1, 60);
            assertThat(gets.sum()).as("the callers kept asking").isGreaterThan(100);
            // no caller sits out its timeout against the dead backend: they are answered at once
            assertThat(timeouts.sum()).as("gets that sat out their 100 ms, of %s", gets.sum())
                    .isLessThanOrEqualTo(gets.sum() / 100);
            assertThat(Duration.ofNanos(nanosInGet.sum() / gets.sum())).as("mean time in get")
                    .isLessThan(Duration.ofMillis(50)); // half the timeout: answered, not waited out (a loaded CI machine schedules the probe late)

            factory.switchTo(liveTcp());
            long back = System.nanoTime();
            try (PooledConnection c = Echo.awaitServed(pool, config.maxConnectBackoff().plusSeconds(1))) {
                Echo.roundTrip(c);
            }
            System.out.println("served " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - back)
                    + " ms after the backend's return");
            // and the whole pool is usable at once: no backoff left
            Echo.assertFullyUsable(pool);
        }
    }

    @Test
    void aCallerWithNothingThatCouldComeBackFailsAtOnceWithTheLatestFailure() throws Exception {
        try (ConnPool pool = ConnPool.create("refused", ConnPoolConfig.builder().maxSize(2).build(), factory)) {
            assertThatThrownBy(() -> pool.get(BOUND)).isInstanceOf(ConnectFailedException.class)
                    .hasCauseInstanceOf(ConnectException.class);
            for (Duration timeout : List.of(BOUND, Duration.ZERO, Duration.ofNanos(500_000))) {
                long t0 = System.nanoTime();
                assertThatThrownBy(() -> pool.get(timeout)).isInstanceOf(ConnectFailedException.class)
                        .hasMessageContaining("connection pool 'refused'", "connect backoff")
                        .hasCauseInstanceOf(ConnectException.class);
                assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("refused at once, timeout %s", timeout)
                        .isLessThan(Duration.ofMillis(100));
            }
            assertThat(factory.attempts()).as("only the first get dialled").isLessThanOrEqualTo(2);
            PoolStats s = pool.stats();
            assertThat(s.size()).isZero();
            assertThat(s.timeouts()).isZero();
        }
    }

    /**
     * One connection lent while the backend is up, then the backend refuses and a get's own connect
     * fails (the backoff starts), then a caller queues: it needs a connect, but the lent one could come
     * back to it.
     */
    private AsyncGet waiterBehind(ConnPool pool, PooledConnection[] lent, Duration timeout) throws IOException {
        lent[0] = pool.get(BOUND);
        factory.switchTo(SwitchableFactory.refusing());
        assertThatThrownBy(() -> pool.get(BOUND)).isInstanceOf(ConnectFailedException.class);
        AsyncGet waiter = AsyncGet.start(pool, timeout);
        Await.until(() -> pool.stats().waiters() == 1, BOUND, () -> "waiting: " + pool.stats());
        return waiter;
    }

    /**
     * Once the delay is over the refusal is no longer certain: with nothing to end the backoff
     * (minSize 0), the first caller after the backend came back waits for the connect its get
     * starts instead of being refused (found by the review of issue 12: refused, "not connecting
     * for another 0 ms", while that very connect reached the live backend).
     */
    @Test
    void theFirstCallerAfterTheDelayWaitsForTheProbeInsteadOfBeingRefused() throws Exception {
        SwitchableFactory factory = new SwitchableFactory(SwitchableFactory.refusing());
        try (TestServer back = TestServer.echo();
             ConnPool pool = ConnPool.create("after-delay", ConnPoolConfig.builder().minSize(0).maxSize(4)
                     .failFast(false).maxConnectBackoff(Duration.ofMillis(200)).build(), factory)) {
            assertThatThrownBy(() -> pool.get(BOUND)).isInstanceOf(ConnectFailedException.class);
            factory.switchTo(ConnectionFactory.tcp(back.host(), back.port(), BOUND));
            long over = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(400); // twice the longest delay
            Await.until(() -> System.nanoTime() - over > 0, BOUND, "the delay is over");
            try (PooledConnection c = pool.get(BOUND)) {
                Echo.roundTrip(c);
            }
            back.awaitAccepted(1, BOUND);
        }
    }

    @Test
    void aCallerWaitsForAReturnWhileAConnectionIsLent() throws Exception {
        factory.switchTo(liveTcp());
        try (ConnPool pool = ConnPool.create("lent", ConnPoolConfig.builder().maxSize(2).build(), factory)) {
            PooledConnection[] lent = new PooledConnection[1];
            AsyncGet waiter = waiterBehind(pool, lent, BOUND);
            lent[0].close();
            waiter.connection(BOUND).close(); // served the returned connection
        }
    }

    @Test
    void aWaiterIsRefusedWhenTheLastLentConnectionComesBackBroken() throws Exception {
        factory.switchTo(liveTcp());
        try (ConnPool pool = ConnPool.create("broken", ConnPoolConfig.builder().maxSize(2).build(), factory)) {
            PooledConnection[] held = new PooledConnection[1];
            AsyncGet waiter = waiterBehind(pool, held, Duration.ofSeconds(20));
            PooledConnection lent = held[0];
            lent.markUnusable();
            lent.close();
            // nothing is left that could come back: refused now, long before its 20 s deadline
            Object refused = waiter.outcome(BOUND);
            assertThat(refused).isInstanceOf(ConnectFailedException.class);
            // and told when the pool dials again: within the longest delay, not past it
            Matcher next = Pattern.compile("the next attempt in (\\d+) ms").matcher(((Throwable) refused).getMessage());
            assertThat(next.find()).as("%s", refused).isTrue();
            assertThat(Long.parseLong(next.group(1))).isBetween(0L, ConnPoolConfig.DEFAULT_MAX_CONNECT_BACKOFF.toMillis());
        }
    }

    @Test
    @Stress
    void connectsAreSpacedByTheDelayDoublingUpToTheMax() throws Exception {
        try (ConnPool pool = ConnPool.create("spaced", ConnPoolConfig.builder().maxSize(1)
                .maxConnectBackoff(Duration.ofMillis(400)).build(), factory)) {
            long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(2_000);
            while (System.nanoTime() - end < 0) {
                try (PooledConnection c = pool.get(Duration.ofMillis(50))) {
                    throw new AssertionError("served by a refusing backend");
                } catch (ConnectFailedException | AcquireTimeoutException expected) {
                    // refused, or waited for a probe whose time had come but whose thread ran late
                    Thread.onSpinWait();
                }
            }
            List<Long> times = factory.attemptTimes();
            long[] least = {100, 200, 400, 400};
            assertThat(times.size()).as("attempts in 2 s").isBetween(3, 8);
            for (int i = 1; i < times.size(); i++) {
                long gapMillis = TimeUnit.NANOSECONDS.toMillis(times.get(i) - times.get(i - 1));
                // each gap is the delay after the previous failure (which ended a little after the attempt began)
                assertThat(gapMillis).as("gap %s of %s", i, times.size())
                        .isGreaterThanOrEqualTo(least[Math.min(i - 1, least.length - 1)])
                        .isLessThan(least[Math.min(i - 1, least.length - 1)] + 1_000);
            }
        }
    }

    @Test
    void zeroDialsForEveryCaller() throws Exception {
        try (ConnPool pool = ConnPool.create("no-backoff", ConnPoolConfig.builder().maxSize(1)
                .maxConnectBackoff(Duration.ZERO).build(), factory)) {
            for (int i = 0; i < 20; i++) {
                assertThatThrownBy(() -> pool.get(BOUND)).isInstanceOf(ConnectFailedException.class)
                        .hasMessageContaining("could not open a connection");
            }
            assertThat(factory.attempts()).isEqualTo(20);
        }
    }

    @Test
    void theRefillToMinSizeWaitsOutTheBackoffAndCompletesAfterTheReturn() throws Exception {
        try (ConnPool pool = ConnPool.create("refill", ConnPoolConfig.builder().minSize(2).maxSize(4)
                .evictInterval(Duration.ofMillis(10)).failFast(false).build(), factory)) {
            // one second of evictor runs every 10 ms: without backoff some 200 connects
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
            Await.until(() -> System.nanoTime() - end > 0, Duration.ofSeconds(5), "a second passed");
            assertThat(factory.attempts()).as("refill connects during 1 s of outage").isBetween(2, 10);
            factory.switchTo(liveTcp());
            Await.until(() -> pool.stats().size() == 2, pool.config().maxConnectBackoff().plusSeconds(1),
                    () -> "refilled: " + pool.stats());
            live.awaitOpen(2, BOUND);
        }
    }

    /**
     * While backing off, a refill starts the probe only when the pool is below minSize: a resize
     * whose minSize the open connection already meets starts no connect.
     */
    @Test
    void aResizeWhileBackingOffStartsNoConnectWhenTheOpenConnectionsMeetMinSize() throws Exception {
        factory.switchTo(liveTcp());
        try (ConnPool pool = ConnPool.create("min-met", ConnPoolConfig.builder().maxSize(3)
                .evictInterval(Duration.ZERO).build(), factory)) {
            PooledConnection lent = pool.get(BOUND);
            factory.switchTo(SwitchableFactory.refusing());
            assertThatThrownBy(() -> pool.get(BOUND)).isInstanceOf(ConnectFailedException.class);
            int attempts = factory.attempts();
            pool.resize(1, 3);
            assertThat(pool.stats().connecting()).as("connects after resize(1, 3): %s", pool.stats()).isZero();
            lent.close();
            assertThat(pool.stats().size()).isEqualTo(1);
            pool.close(); // joins the connector's threads
            assertThat(factory.attempts()).as("no probe dialed").isEqualTo(attempts);
        }
    }

    /**
     * A connect in flight when the backoff starts counts like an open connection: towards minSize
     * (a resize to a minSize it meets starts no probe) and against maxSize (a waiter at a full pool
     * starts no probe, it waits for that connect).
     */
    @Test
    void aConnectInFlightCountsTowardsMinSizeAndAgainstMaxSizeWhileBackingOff() throws Exception {
        GatedFactory gated = new GatedFactory(factory);
        try (ConnPool pool = ConnPool.create("in-flight", ConnPoolConfig.builder().maxSize(3).failFast(false)
                .evictInterval(Duration.ZERO).build(), gated)) {
            AsyncGet first = AsyncGet.start(pool, Duration.ofSeconds(20)); // its connect waits at the gate
            gated.awaitEntered();
            assertThatThrownBy(() -> pool.get(BOUND)).isInstanceOf(ConnectFailedException.class); // backoff starts
            pool.resize(1, 3);
            assertThat(pool.stats().connecting()).as("after resize(1, 3): %s", pool.stats()).isEqualTo(1);
            pool.resize(0, 1);
            AsyncGet second = AsyncGet.start(pool, Duration.ofSeconds(20));
            Await.until(() -> pool.stats().waiters() == 2, BOUND, () -> "both wait: " + pool.stats());
            assertThat(pool.stats().connecting()).as("a waiter at the full pool: %s", pool.stats()).isEqualTo(1);
            factory.switchTo(liveTcp());
            gated.release();
            first.connection(BOUND).close();
            second.connection(BOUND).close();
            assertThat(factory.attempts()).as("the gated connect and the refused one").isEqualTo(2);
            live.awaitAccepted(1, BOUND);
        }
    }

    /**
     * With the backoff off, a connect that fails frees its room for the next waiter at once: the
     * waiter, which has waited past the barging bound and sleeps until served, gets a connect.
     */
    @Test
    void aFailedConnectLetsTheNextWaiterConnect() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ConnectionFactory liveTcp = liveTcp();
        AtomicInteger calls = new AtomicInteger();
        ConnectionFactory firstRefused = () -> {
            if (calls.incrementAndGet() > 1) {
                return liveTcp.create();
            }
            entered.countDown();
            Interrupts.awaitAsIo(release, Duration.ofSeconds(10), "never released");
            throw new ConnectException("the first connect refused on purpose");
        };
        try (ConnPool pool = ConnPool.create("next-waiter", ConnPoolConfig.builder().maxSize(1)
                .maxConnectBackoff(Duration.ZERO).evictInterval(Duration.ZERO).build(), firstRefused)) {
            AsyncGet first = AsyncGet.start(pool, Duration.ofSeconds(20));
            assertThat(entered.await(5, TimeUnit.SECONDS)).isTrue();
            AsyncGet second = AsyncGet.start(pool, Duration.ofSeconds(20));
            Await.until(() -> pool.stats().waiters() == 2, BOUND, () -> "both wait: " + pool.stats());
            // past the barging bound (2.5 ms): the second waiter now sleeps until something serves it
            long bound = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20);
            Await.until(() -> System.nanoTime() - bound > 0, BOUND, "the barging bound passed");
            release.countDown();
            assertThat(first.outcome(BOUND)).isInstanceOf(ConnectFailedException.class);
            try (PooledConnection c = second.connection(BOUND)) {
                Echo.roundTrip(c);
            }
            assertThat(calls).hasValue(2);
        }
    }

    /**
     * After the probe reconnects, the waiters queued behind a lent connection are served at once:
     * the probe's connection goes to the first, and the second gets a connect of its own.
     */
    @Test
    void theProbesSuccessLetsEveryWaiterConnect() throws Exception {
        factory.switchTo(liveTcp());
        try (ConnPool pool = ConnPool.create("recovered", ConnPoolConfig.builder().maxSize(3)
                .evictInterval(Duration.ZERO).build(), factory)) {
            PooledConnection[] lent = new PooledConnection[1];
            AsyncGet first = waiterBehind(pool, lent, Duration.ofSeconds(20));
            AsyncGet second = AsyncGet.start(pool, Duration.ofSeconds(20));
            Await.until(() -> pool.stats().waiters() == 2, BOUND, () -> "both wait: " + pool.stats());
            factory.switchTo(liveTcp());
            first.connection(BOUND).close();
            second.connection(BOUND).close();
            lent[0].close();
            live.awaitAccepted(3, BOUND);
        }
    }

    /** The probe's success ends the backoff, and the pool refills to minSize at once (evictor off). */
    @Test
    void theProbesSuccessRefillsToMinSize() throws Exception {
        try (ConnPool pool = ConnPool.create("refilled", ConnPoolConfig.builder().minSize(2).maxSize(4)
                .failFast(false).evictInterval(Duration.ZERO).build(), factory)) {
            factory.switchTo(liveTcp());
            // a get during the backoff is refused and starts the probe (on a machine so slow that the
            // delay is over already, it waits for the probe instead, and gets its connection)
            try {
                pool.get(BOUND).close();
            } catch (ConnectFailedException refused) {
                // the usual answer: the probe dials when the delay is over
            }
            Await.until(() -> pool.stats().size() == 2, BOUND, () -> "refilled: " + pool.stats());
            live.awaitOpen(2, BOUND);
        }
    }

    /**
     * A probe waiting out its delay when the pool is suspended gives up: it never dials, and its
     * room is given back.
     */
    @Test
    void aProbeWaitingWhenThePoolIsSuspendedGivesUpAndGivesItsRoomBack() throws Exception {
        // the probe may dial only once the first delay (100 ms) has passed since the first failure;
        // a run in which suspend() returned later than that (a stalled machine) cannot tell, so it
        // is tried again on a new pool
        for (int run = 1; ; run++) {
            ConnPool pool = ConnPool.create("probe-suspended", ConnPoolConfig.builder().maxSize(2)
                    .evictInterval(Duration.ZERO).build(), factory);
            try {
                long firstFailure = System.nanoTime(); // the first failure comes after this
                assertThatThrownBy(() -> pool.get(BOUND)).isInstanceOf(ConnectFailedException.class);
                // a get refused during the backoff starts the probe, which waits out the delay (should a
                // slow machine let the delay pass first, the probe dials, fails, and the next get starts another)
                Await.until(() -> {
                    assertThatThrownBy(() -> pool.get(BOUND)).isInstanceOf(ConnectFailedException.class);
                    return pool.stats().connecting() == 1;
                }, BOUND, () -> "a probe waits: " + pool.stats());
                int attempts = factory.attempts();
                pool.suspend();
                boolean beforeItsTime = System.nanoTime() - firstFailure < FIRST_DELAY.toNanos();
                Await.until(() -> pool.stats().connecting() == 0, BOUND, () -> "the probe gave up: " + pool.stats());
                pool.close(); // joins the connector's threads
                assertThat(pool.stats().connecting()).isZero();
                if (beforeItsTime || run == 10) {
                    assertThat(beforeItsTime).as("suspended within the first delay in one of %d runs", run).isTrue();
                    assertThat(factory.attempts()).as("the probe never dialed").isEqualTo(attempts);
                    return;
                }
            } finally {
                pool.close();
            }
        }
    }

    /**
     * At maxWaiters, a caller is refused with TooManyWaitersException while backing off too, when
     * something lent could come back to the waiters (rather than answered by a refusal).
     */
    @Test
    void aCallerPastMaxWaitersIsRefusedWhileBackingOffWithAConnectionLent() throws Exception {
        factory.switchTo(liveTcp());
        try (ConnPool pool = ConnPool.create("waiters-full", ConnPoolConfig.builder().maxSize(2).maxWaiters(1)
                .evictInterval(Duration.ZERO).build(), factory)) {
            PooledConnection[] lent = new PooledConnection[1];
            AsyncGet waiter = waiterBehind(pool, lent, Duration.ofSeconds(20));
            assertThatThrownBy(() -> pool.get(Duration.ofMillis(100))).isInstanceOf(TooManyWaitersException.class);
            lent[0].close();
            waiter.connection(BOUND).close();
        }
    }

    /**
     * lastConnectFailure() reports the latest failed connect until the backend answered someone: a
     * connection lent since (no health check on get here), not merely returned.
     */
    @Test
    void theLastConnectFailureIsForgottenOnceAConnectionIsLent() throws Exception {
        factory.switchTo(liveTcp());
        try (ConnPool pool = ConnPool.create("last-failure-lent", ConnPoolConfig.builder().maxSize(2)
                .healthCheck(HealthCheck.none()).maxConnectBackoff(Duration.ZERO).evictInterval(Duration.ZERO)
                .build(), factory)) {
            PooledConnection lent = pool.get(BOUND);
            factory.switchTo(SwitchableFactory.refusing());
            assertThatThrownBy(() -> pool.get(BOUND)).isInstanceOf(ConnectFailedException.class);
            assertThat(pool.lastConnectFailure()).containsInstanceOf(ConnectException.class);
            lent.close();
            assertThat(pool.lastConnectFailure()).as("returned, not lent since").containsInstanceOf(ConnectException.class);
            pool.get(BOUND).close();
            assertThat(pool.lastConnectFailure()).as("lent since").isEmpty();
        }
    }

    /** ... or an idle connection that passed the evictor's health check. */
    @Test
    void theLastConnectFailureIsForgottenOnceAHealthCheckPasses() throws Exception {
        factory.switchTo(liveTcp());
        try (ConnPool pool = ConnPool.create("last-failure-checked", ConnPoolConfig.builder().maxSize(2)
                .healthCheck(HealthCheck.liveness()).maxConnectBackoff(Duration.ZERO).evictInterval(Duration.ZERO)
                .build(), factory)) {
            PooledConnection lent = pool.get(BOUND);
            factory.switchTo(SwitchableFactory.refusing());
            assertThatThrownBy(() -> pool.get(BOUND)).isInstanceOf(ConnectFailedException.class);
            lent.close();
            assertThat(pool.lastConnectFailure()).containsInstanceOf(ConnectException.class);
            EngineHooks.evict(pool); // checks the idle connection: the backend answered
            assertThat(pool.lastConnectFailure()).isEmpty();
            assertThat(pool.stats().size()).isEqualTo(1);
        }
    }

    @Test
    void aFactoryThrowingARuntimeExceptionIsBackedOffToo() throws Exception {
        throwingFactoryIsBackedOff(() -> new IllegalStateException("factory bug on purpose"));
    }

    @Test
    void aFactoryThrowingAnErrorIsBackedOffToo() throws Exception {
        throwingFactoryIsBackedOff(() -> new AssertionError("factory error on purpose"));
    }

    private void throwingFactoryIsBackedOff(Supplier<Throwable> toThrow) throws Exception {
        factory.switchTo(new BrokenFactory(liveTcp(), toThrow, true));
        Class<? extends Throwable> type = toThrow.get().getClass();
        try (ConnPool pool = ConnPool.create("throwing", ConnPoolConfig.builder().maxSize(2).build(), factory)) {
            assertThatThrownBy(() -> pool.get(BOUND)).isInstanceOf(ConnectFailedException.class).hasCauseInstanceOf(type);
            assertThatThrownBy(() -> pool.get(BOUND)).isInstanceOf(ConnectFailedException.class)
                    .hasMessageContaining("connect backoff").hasCauseInstanceOf(type);
            // the first connect, and at most the probe if the first assertion took longer than 100 ms
            assertThat(factory.attempts()).isBetween(1, 2);
            factory.switchTo(liveTcp());
            try (PooledConnection c = Echo.awaitServed(pool, pool.config().maxConnectBackoff().plusSeconds(1))) {
                Echo.roundTrip(c);
            }
            assertThat(pool.stats().size()).isEqualTo(1);
        }
    }

    @Test
    void anInterruptBeforeOrDuringAWaitWhileBackingOffEndsTheGet() throws Exception {
        factory.switchTo(liveTcp());
        try (ConnPool pool = ConnPool.create("interrupted", ConnPoolConfig.builder().maxSize(2).build(), factory)) {
            PooledConnection lent = pool.get(BOUND);
            factory.switchTo(SwitchableFactory.refusing());
            assertThatThrownBy(() -> pool.get(BOUND)).isInstanceOf(ConnectFailedException.class);
            int attempts = factory.attempts();
            Interrupts.getFailsKeepingTheFlag(pool, BOUND);
            assertThat(factory.attempts()).isEqualTo(attempts);
            AsyncGet waiter = AsyncGet.start(pool, Duration.ofSeconds(20));
            Await.until(() -> pool.stats().waiters() == 1, BOUND, () -> "waiting: " + pool.stats());
            waiter.interrupt();
            assertThat(waiter.outcome(BOUND)).isInstanceOf(InterruptedIOException.class);
            assertThat(waiter.interruptKept()).isTrue();
            lent.close();
            assertThat(pool.stats().available()).isEqualTo(1);
        }
    }

    @Test
    void closeDoesNotWaitForAProbeThatWaitsOutALongDelay() throws Exception {
        ConnPool pool = ConnPool.create("long-delay", ConnPoolConfig.builder().maxSize(1).build(), factory);
        try {
            // failures until a probe waits out a delay with over 1.2 s left (of 1.6 s, after five)
            BackingOff.untilAProbeWaits(pool, 1_200, Duration.ofSeconds(15));
            int attempts = factory.attempts();
            long t0 = System.nanoTime();
            pool.close();
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(1));
            assertThat(pool.stats().connecting()).isZero();
            assertThat(factory.attempts()).as("the waiting probe never dialed").isEqualTo(attempts);
        } finally {
            pool.close(); // a failure above must not leave the pool's threads to the next tests
        }
        // NoPoolThreads: the probe's connector thread is gone
    }

    @Test
    @Stress
    void aTlsBackendFailingItsHandshakesIsBackedOffToo() throws Exception {
        Certificates server = Certificates.selfSigned("127.0.0.1");
        Certificates stranger = Certificates.selfSigned("127.0.0.1");
        try (TestServer tls = TestServer.start(TestServer.Mode.ECHO, 0,
                server.serverContext().getServerSocketFactory())) {
            factory.switchTo(ConnectionFactory.tls("127.0.0.1", tls.port(), BOUND, stranger.clientContext()));
            try (ConnPool pool = ConnPool.create("tls", ConnPoolConfig.builder().maxSize(4).build(), factory)) {
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
                InvariantsTest.onThreads(8, Duration.ofSeconds(20), () -> {
                    while (System.nanoTime() - end < 0) {
                        // a handshake takes a while: callers that wait for one in flight may time out
                        assertThatThrownBy(() -> pool.get(Duration.ofMillis(100)))
                                .isInstanceOfAny(ConnectFailedException.class, AcquireTimeoutException.class)
                                .satisfies(e -> {
                                    if (e instanceof ConnectFailedException) {
                                        assertThat(e).hasCauseInstanceOf(SSLHandshakeException.class);
                                    }
                                });
                    }
                });
                assertThat(factory.attempts()).as("handshakes tried in 1 s").isBetween(1, 12);
                assertThat(tls.accepted()).as("server side").isEqualTo(factory.attempts());
                factory.switchTo(ConnectionFactory.tls("127.0.0.1", tls.port(), BOUND, server.clientContext()));
                try (PooledConnection c = Echo.awaitServed(pool, pool.config().maxConnectBackoff().plusSeconds(1))) {
                    Echo.roundTrip(c);
                }
            }
        }
    }

    @Test
    void aThousandVirtualThreadsAreRefusedAtOnceAndNoneHangs() throws Exception {
        ThreadFactory virtual = VirtualThreads.factory();
        try (ConnPool pool = ConnPool.create("virtual", ConnPoolConfig.builder().maxSize(8).build(), factory)) {
            List<AsyncGet> gets = AsyncGet.startMany(1000, virtual, pool, Duration.ofSeconds(2), false);
            for (AsyncGet g : gets) {
                assertThat(g.outcome(Duration.ofSeconds(10))).isInstanceOf(ConnectFailedException.class);
            }
            assertThat(factory.attempts()).as("attempts for 1000 callers").isBetween(1, 20);
        }
    }

    @Test
    @Stress
    void closeRacingCallersRefusedWhileBackingOffThrowsNothingElse() throws Exception {
        CloseRace.run("race", name -> ConnPool.create(name, ConnPoolConfig.builder().minSize(1).maxSize(4)
                .evictInterval(Duration.ofMillis(1)).failFast(false).build(), factory), Duration.ofMillis(50),
                pool -> Thread.onSpinWait(), ConnectFailedException.class, AcquireTimeoutException.class);
    }
}
