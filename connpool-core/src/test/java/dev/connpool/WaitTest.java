package dev.connpool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.connpool.internal.EngineHooks;
import dev.connpool.testkit.AsyncGet;
import dev.connpool.testkit.Await;
import dev.connpool.testkit.Barging;
import dev.connpool.testkit.Echo;
import dev.connpool.testkit.FailingCheck;
import dev.connpool.testkit.EchoBackendTest;
import dev.connpool.testkit.GatedFactory;
import dev.connpool.testkit.Interrupts;
import dev.connpool.testkit.Worker;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** DESIGN §4 get, step 4: waiting at maxSize, first come first served, direct hand-off. */
class WaitTest extends EchoBackendTest {

    private ConnPool pool(String name, ConnPoolConfig.Builder config) throws IOException {
        return ConnPool.create(name, config.build(),
                tcp());
    }

    @Test
    void waitersAreServedFirstComeFirstServedByDirectHandOff() throws Exception {
        try (ConnPool pool = pool("fifo", ConnPoolConfig.builder().maxSize(1).healthCheck(HealthCheck.none()))) {
            PooledConnection held = pool.get();
            Socket only = held.socket();
            List<Integer> servedOrder = new CopyOnWriteArrayList<>();
            List<Socket> servedSockets = new CopyOnWriteArrayList<>();
            List<Worker> waiters = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                int id = i;
                waiters.add(Worker.start("waiter-" + i, () -> {
                    try (PooledConnection c = pool.get(Duration.ofSeconds(10))) {
                        servedOrder.add(id);
                        servedSockets.add(c.socket());
                    }
                }));
                int queued = i + 1;
                Await.until(() -> pool.stats().waiters() == queued, Duration.ofSeconds(5), "waiter " + id + " queued");
            }
            held.close();
            for (Worker w : waiters) {
                w.join(Duration.ofSeconds(10));
            }
            assertThat(servedOrder).containsExactly(0, 1, 2, 3, 4, 5);
            assertThat(servedSockets).allMatch(s -> s == only);
            assertThat(pool.stats().created()).isEqualTo(1);
            assertThat(pool.stats().waitCount()).isEqualTo(6);
            assertThat(pool.stats().waitTime()).isPositive();
        }
    }

    @Test
    void aNewCallerDoesNotOvertakeAWaiterPastTheBargingBound() throws Exception {
        try (ConnPool pool = pool("no-barging", ConnPoolConfig.builder().maxSize(1).healthCheck(HealthCheck.none()))) {
            PooledConnection held = pool.get();
            List<String> order = Collections.synchronizedList(new ArrayList<>());
            Worker waiter = Worker.start("waiter", () -> {
                try (PooledConnection c = pool.get(Duration.ofSeconds(10))) {
                    order.add("waiter");
                }
            });
            Await.until(() -> pool.stats().waiters() == 1, Duration.ofSeconds(5), "waiter queued");
            // a running thread may take a return only while the oldest waiter has waited less than
            // the barging bound (2.5 ms); this waiter has waited far longer
            Thread.sleep(50);
            // the holder returns and immediately asks again: it must queue behind the waiter
            held.close();
            try (PooledConnection again = pool.get(Duration.ofSeconds(10))) {
                order.add("returner");
            }
            waiter.join(Duration.ofSeconds(10));
            assertThat(order).containsExactly("waiter", "returner");
        }
    }

    @Test
    void roomFreedByAnUnusableConnectionLetsAWaiterOpenANewOne() throws Exception {
        try (ConnPool pool = pool("room", ConnPoolConfig.builder().maxSize(1))) {
            PooledConnection held = pool.get();
            Socket broken = held.socket();
            List<Socket> got = new CopyOnWriteArrayList<>();
            Worker waiter = Worker.start("waiter", () -> {
                try (PooledConnection c = pool.get(Duration.ofSeconds(10))) {
                    got.add(c.socket());
                }
            });
            Await.until(() -> pool.stats().waiters() == 1, Duration.ofSeconds(5), "waiter queued");
            held.markUnusable();
            held.close();
            waiter.join(Duration.ofSeconds(10));
            assertThat(got).hasSize(1);
            assertThat(got.get(0)).isNotSameAs(broken);
            assertThat(broken.isClosed()).isTrue();
            assertThat(pool.stats().unusableClosed()).isEqualTo(1);
            assertThat(pool.stats().created()).isEqualTo(2);
        }
    }

    @Test
    void maxWaitersLimitsTheQueueAndFailsAtOnce() throws Exception {
        try (ConnPool pool = pool("max-waiters", ConnPoolConfig.builder().maxSize(1).maxWaiters(2))) {
            PooledConnection held = pool.get();
            List<Worker> waiters = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                waiters.add(Worker.start("waiter-" + i, () -> {
                    try (PooledConnection c = pool.get(Duration.ofSeconds(10))) {
                        Echo.roundTrip(c); // each served in turn with a working connection
                    }
                }));
            }
            Await.until(() -> pool.stats().waiters() == 2, Duration.ofSeconds(5), "two waiters");
            long start = System.nanoTime();
            assertThatThrownBy(() -> pool.get(Duration.ofSeconds(10)))
                    .isInstanceOf(TooManyWaitersException.class)
                    .hasMessageContaining("max-waiters").hasMessageContaining("2");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("at once, not after the 10 s")
                    .isLessThan(Duration.ofSeconds(5));
            held.close();
            for (Worker w : waiters) {
                w.join(Duration.ofSeconds(10));
            }
        }
    }

    @Test
    void maxWaitersZeroStillLetsCallersConnectWhileThereIsRoom() throws Exception {
        try (ConnPool pool = pool("no-waiting", ConnPoolConfig.builder().maxSize(2).maxWaiters(0))) {
            PooledConnection a = pool.get();
            PooledConnection b = pool.get();
            assertThatThrownBy(pool::get).isInstanceOf(TooManyWaitersException.class);
            a.close();
            b.close();
        }
    }

    /**
     * Once the oldest waiter has waited past the barging bound, a return is handed to it inside the
     * returner's close(): nothing is left available for a running thread to barge in on, and the
     * returner's lease came through the lock-free path (its return is a CAS that must still look for
     * waiters). The wait is counted once, and its time is the waiter's own.
     */
    @Test
    void pastTheBargingBoundAReturnIsHandedToTheWaiterWithinClose() throws Exception {
        try (ConnPool pool = pool("hand-off", ConnPoolConfig.builder().maxSize(1).healthCheck(HealthCheck.none()))) {
            pool.get().close();
            PooledConnection held = pool.get(); // this thread's last return: lent lock-free
            Socket only = held.socket();
            AtomicReference<Socket> got = new AtomicReference<>();
            CountDownLatch giveBack = new CountDownLatch(1);
            long started = System.nanoTime();
            Worker waiter = Worker.start("waiter", () -> {
                try (PooledConnection c = pool.get(Duration.ofSeconds(10))) {
                    got.set(c.socket());
                    assertThat(giveBack.await(10, TimeUnit.SECONDS)).isTrue(); // held while this thread looks
                }
            });
            Await.until(() -> pool.stats().waiters() == 1, Duration.ofSeconds(5), "waiter queued");
            // it queued before this point, so it is past the bound once the bound has passed from here
            Barging.awaitPastTheBound(waiter.thread());
            held.close();
            PoolStats now = pool.stats();
            assertThat(now.waiters()).as("handed over within close(): %s", now).isZero();
            assertThat(now.available()).as("nothing left for a running thread: %s", now).isZero();
            giveBack.countDown();
            waiter.join(Duration.ofSeconds(10));
            long took = System.nanoTime() - started;
            assertThat(got.get()).isSameAs(only);
            PoolStats after = pool.stats();
            assertThat(after.waitCount()).isEqualTo(1);
            assertThat(after.waitTime()).isGreaterThanOrEqualTo(Duration.ofNanos(Barging.BOUND_NANOS))
                    .isLessThanOrEqualTo(Duration.ofNanos(took));
        }
    }

    /**
     * maxWaiters bounds the callers waiting for a return: one whose own connect is in progress is
     * not one of them, so it leaves room in the queue for a caller who must wait.
     */
    @Test
    void aCallerWithAConnectOfItsOwnDoesNotCountAgainstMaxWaiters() throws Exception {
        GatedFactory gated = new GatedFactory(tcp());
        try (ConnPool pool = ConnPool.create("waiters-connecting", ConnPoolConfig.builder().maxSize(1).maxWaiters(1)
                .healthCheck(HealthCheck.none()).build(), gated)) {
            AsyncGet connecting = AsyncGet.start(pool, Duration.ofSeconds(10));
            gated.awaitEntered();
            AsyncGet waiting = AsyncGet.start(pool, Duration.ofSeconds(10));
            Await.until(() -> pool.stats().waiters() == 2 || waiting.isDone(), Duration.ofSeconds(5), "second caller queued");
            assertThat(waiting.isDone()).as("queued, not refused").isFalse();
            gated.release();
            connecting.connection(Duration.ofSeconds(10)).close();
            waiting.connection(Duration.ofSeconds(10)).close();
            assertThat(pool.stats().created()).isEqualTo(1);
        }
    }

    /**
     * A waiter whose handed-over connection fails its health check keeps its place (DESIGN §4: past
     * the bound, strictly in order): it is queued again first in line before the failed connection's
     * room is freed, so the connect for that room is its own, not the waiter's behind it. (The first
     * waiter is past the barging bound, so the return is handed to it, the head.)
     */
    @Test
    void aWaiterWhoseConnectionFailsItsCheckStaysFirstInLine() throws Exception {
        FailingCheck failsOne = FailingCheck.ioException();
        try (ConnPool pool = pool("retry-first", ConnPoolConfig.builder().maxSize(1).healthCheck(failsOne))) {
            PooledConnection held = pool.get(); // fresh: lent unchecked
            AtomicReference<Socket> firstGot = new AtomicReference<>();
            CountDownLatch giveBack = new CountDownLatch(1);
            Worker first = Worker.start("first", () -> {
                try (PooledConnection c = pool.get(Duration.ofSeconds(10))) {
                    firstGot.set(c.socket());
                    assertThat(giveBack.await(10, TimeUnit.SECONDS)).isTrue(); // held while the test looks
                }
            });
            Await.until(() -> pool.stats().waiters() == 1, Duration.ofSeconds(5), "first waiter queued");
            AsyncGet second = AsyncGet.start(pool, Duration.ofSeconds(10));
            Await.until(() -> pool.stats().waiters() == 2, Duration.ofSeconds(5), "second waiter queued");
            Barging.awaitPastTheBound(first.thread());
            Socket failed = held.socket();
            failsOne.mark(failed);
            held.close();
            Await.until(() -> firstGot.get() != null || second.isDone(), Duration.ofSeconds(5), "one waiter served");
            assertThat(second.isDone()).as("the waiter behind stays behind").isFalse();
            assertThat(firstGot.get()).isNotNull().isNotSameAs(failed);
            giveBack.countDown();
            first.join(Duration.ofSeconds(10));
            second.connection(Duration.ofSeconds(5)).close();
            PoolStats stats = pool.stats();
            assertThat(stats.pingFailed()).isEqualTo(1);
            assertThat(stats.created()).isEqualTo(2);
        }
    }

    private static final Duration WAIT_BOUND = Duration.ofSeconds(5);

    /**
     * A connection closed as unusable frees its room at once for a waiter, also one that sleeps until
     * served (it has waited past the barging bound): it connects.
     */
    @Test
    void anUnusableConnectionsRoomGoesToASleepingWaiter() throws Exception {
        try (ConnPool pool = ConnPool.create("unusable-room", ConnPoolConfig.builder().maxSize(1)
                .evictInterval(Duration.ZERO).build(), tcp())) {
            PooledConnection held = pool.get(WAIT_BOUND);
            Socket heldSocket = held.socket();
            AsyncGet waiter = AsyncGet.start(pool, Duration.ofSeconds(20));
            Await.until(() -> pool.stats().waiters() == 1, WAIT_BOUND, () -> "waiting: " + pool.stats());
            Barging.awaitPastTheBound(waiter.thread());
            held.markUnusable();
            held.close();
            try (PooledConnection c = waiter.connection(WAIT_BOUND)) {
                assertThat(c.socket()).isNotSameAs(heldSocket);
                Echo.roundTrip(c);
            }
            assertThat(server.accepted()).isEqualTo(2);
        }
    }

    /**
     * maxWaiters counts callers waiting for a return; a caller whose connect is in flight is not one,
     * but it takes the room: at maxWaiters, the next caller is refused at once.
     */
    @Test
    void aConnectInFlightTakesTheRoomSoTheCallerPastMaxWaitersIsRefused() throws Exception {
        GatedFactory gated = new GatedFactory(tcp());
        try (ConnPool pool = ConnPool.create("waiters-full", ConnPoolConfig.builder().maxSize(1).maxWaiters(1)
                .evictInterval(Duration.ZERO).build(), gated)) {
            AsyncGet connecting = AsyncGet.start(pool, Duration.ofSeconds(20));
            gated.awaitEntered();
            AsyncGet waiting = AsyncGet.start(pool, Duration.ofSeconds(20));
            Await.until(() -> pool.stats().waiters() == 2, WAIT_BOUND, () -> "both queued: " + pool.stats());
            assertThatThrownBy(() -> pool.get(Duration.ofMillis(100))).isInstanceOf(TooManyWaitersException.class);
            gated.release();
            connecting.connection(WAIT_BOUND).close();
            waiting.connection(WAIT_BOUND).close();
        }
    }

    /**
     * At maxWaiters, a caller that finds a background connect nobody has claimed (a refill to
     * minSize, here) is not refused: it queues and takes that connect's connection.
     */
    @Test
    void atMaxWaitersACallerTakesABackgroundConnectInsteadOfBeingRefused() throws Exception {
        GatedFactory gated = new GatedFactory(tcp(), 1); // the second connect waits for the test
        try (ConnPool pool = ConnPool.create("adopts-refill", ConnPoolConfig.builder().minSize(1).maxSize(1)
                .maxWaiters(0).evictInterval(Duration.ZERO).healthCheck(HealthCheck.none()).build(),
                gated)) {
            try (PooledConnection c = pool.get(WAIT_BOUND)) {
                c.markUnusable();
            }
            EngineHooks.evict(pool); // its refill starts the background connect, held by the factory
            Await.until(() -> pool.stats().connecting() == 1, WAIT_BOUND, () -> "refilling: " + pool.stats());
            AsyncGet caller = AsyncGet.start(pool, Duration.ofSeconds(20));
            Await.until(() -> pool.stats().waiters() == 1 || caller.isDone(), WAIT_BOUND, () -> "queued: " + pool.stats());
            assertThat(caller.isDone()).as("queued for the background connect, not refused").isFalse();
            gated.release();
            try (PooledConnection c = caller.connection(WAIT_BOUND)) {
                Echo.roundTrip(c);
            }
            assertThat(pool.stats().created()).isEqualTo(2);
        }
    }

    /**
     * A waiter queued again after its connection failed its check still ends at its deadline: it
     * leaves the queue, and the connect started for it lands in the pool.
     */
    @Test
    void aWaiterQueuedAgainAfterAFailedCheckTimesOutAndLeavesTheQueue() throws Exception {
        FailingCheck failing = FailingCheck.ioException();
        GatedFactory gated = new GatedFactory(tcp(), 1); // the second connect waits for the test
        try (ConnPool pool = ConnPool.create("retry-deadline", ConnPoolConfig.builder().maxSize(1)
                .evictInterval(Duration.ZERO).healthCheck(failing).build(), gated)) {
            PooledConnection held = pool.get(WAIT_BOUND);
            AsyncGet waiter = AsyncGet.start(pool, Duration.ofMillis(500));
            Await.until(() -> pool.stats().waiters() == 1, WAIT_BOUND, () -> "queued: " + pool.stats());
            failing.mark(held.socket());
            held.close();
            assertThat(waiter.outcome(WAIT_BOUND)).isInstanceOf(AcquireTimeoutException.class);
            assertThat(waiter.took()).isGreaterThanOrEqualTo(Duration.ofMillis(500));
            PoolStats stats = pool.stats();
            assertThat(stats.pingFailed()).isEqualTo(1);
            assertThat(stats.waiters()).isZero();
            assertThat(stats.connecting()).as("the connect for the freed room").isEqualTo(1);
            gated.release();
            Await.until(() -> pool.stats().available() == 1, WAIT_BOUND, () -> "connected: " + pool.stats());
            try (PooledConnection c = pool.get(Duration.ZERO)) {
                Echo.roundTrip(c);
            }
            assertThat(server.accepted()).isEqualTo(2);
        }
    }

    /**
     * A pool closed while a waiter is queued again after a failed check (a RuntimeException from the
     * check, here) answers it that it closed.
     */
    @Test
    void aWaiterQueuedAgainAfterAFailedCheckIsToldThePoolClosed() throws Exception {
        FailingCheck throwsRuntime = FailingCheck.throwing(() -> {
            throw new IllegalStateException("failed its check on purpose");
        });
        GatedFactory gated = new GatedFactory(tcp(), 1); // the second connect waits for the test
        ConnPool pool = ConnPool.create("retry-close", ConnPoolConfig.builder().maxSize(1)
                .evictInterval(Duration.ZERO).healthCheck(throwsRuntime).build(), gated);
        try {
            PooledConnection held = pool.get(WAIT_BOUND);
            AsyncGet waiter = AsyncGet.start(pool, Duration.ofSeconds(20));
            Await.until(() -> pool.stats().waiters() == 1, WAIT_BOUND, () -> "queued: " + pool.stats());
            throwsRuntime.mark(held.socket());
            held.close();
            Await.until(() -> pool.stats().pingFailed() == 1 && pool.stats().waiters() == 1, WAIT_BOUND,
                    () -> "queued again: " + pool.stats());
            pool.close();
            assertThat(waiter.outcome(WAIT_BOUND)).isInstanceOf(PoolClosedException.class);
        } finally {
            gated.release();
            pool.close();
        }
    }

    /**
     * An {@link Error} from the health check of a connection a waiter was handed ends that get with
     * the error: the caller is not queued again, and the room is free for the next caller.
     */
    @Test
    void anErrorFromTheCheckOfAHandedOverConnectionReachesTheWaiter() throws Exception {
        FailingCheck errs = FailingCheck.throwing(() -> {
            throw new AssertionError("the check failed hard, on purpose");
        });
        try (ConnPool pool = pool("retry-error", ConnPoolConfig.builder().maxSize(1).evictInterval(Duration.ZERO)
                .healthCheck(errs))) {
            PooledConnection held = pool.get(WAIT_BOUND);
            AsyncGet waiter = AsyncGet.start(pool, Duration.ofSeconds(20));
            Await.until(() -> pool.stats().waiters() == 1, WAIT_BOUND, () -> "queued: " + pool.stats());
            errs.mark(held.socket());
            held.close();
            assertThat(waiter.outcome(WAIT_BOUND)).isInstanceOfSatisfying(AssertionError.class,
                    e -> assertThat(e).hasMessage("the check failed hard, on purpose"));
            PoolStats stats = pool.stats();
            assertThat(stats.waiters()).isZero();
            assertThat(stats.connecting()).as("no connect for a caller that stopped").isZero();
            assertThat(stats.pingFailed()).isEqualTo(1);
            try (PooledConnection c = pool.get(WAIT_BOUND)) {
                Echo.roundTrip(c);
            }
        }
    }

    /**
     * A check interrupted while it ran ends a waiter's get with the interrupt: the caller is not
     * queued again, so no connect is started for it.
     */
    @Test
    void aHandedOverConnectionsCheckInterruptedEndsTheGetWithoutAConnect() throws Exception {
        FailingCheck interruptsItself = FailingCheck.throwing(() -> {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while checking, on purpose");
        });
        try (ConnPool pool = pool("retry-interrupt", ConnPoolConfig.builder().maxSize(1).evictInterval(Duration.ZERO)
                .healthCheck(interruptsItself))) {
            PooledConnection held = pool.get(WAIT_BOUND);
            AsyncGet waiter = AsyncGet.start(pool, Duration.ofSeconds(20));
            Await.until(() -> pool.stats().waiters() == 1, WAIT_BOUND, () -> "queued: " + pool.stats());
            interruptsItself.mark(held.socket());
            held.close();
            assertThat(waiter.outcome(WAIT_BOUND)).isInstanceOf(InterruptedIOException.class);
            assertThat(waiter.interruptKept()).isTrue();
            PoolStats stats = pool.stats();
            assertThat(stats.pingFailed()).isEqualTo(1);
            assertThat(stats.waiters()).isZero();
            assertThat(stats.connecting()).as("no connect for a caller that stopped").isZero();
            assertThat(stats.size()).isZero();
        }
    }

    /**
     * Only a caller that had queued keeps a place in line when its connection fails its check: one
     * that took an idle connection without waiting, and whose check fails while another caller
     * waits, queues behind that caller, which gets the connection opened for the freed room.
     */
    @Test
    void aCallerThatNeverQueuedGoesBehindTheWaitersWhenItsCheckFails() throws Exception {
        CountDownLatch checking = new CountDownLatch(1);
        CountDownLatch failNow = new CountDownLatch(1);
        FailingCheck slowFail = FailingCheck.throwing(() -> {
            checking.countDown();
            Interrupts.awaitAsIo(failNow, Duration.ofSeconds(10), "never told to fail");
            throw new IOException("failed its check on purpose");
        });
        try (ConnPool pool = pool("no-cutting-in", ConnPoolConfig.builder().maxSize(1).evictInterval(Duration.ZERO)
                .healthCheck(slowFail))) {
            PooledConnection first = pool.get(WAIT_BOUND);
            slowFail.mark(first.socket());
            first.close(); // idle now, and it will fail its check
            AsyncGet barging = AsyncGet.start(pool, Duration.ofSeconds(20));
            assertThat(checking.await(10, TimeUnit.SECONDS)).as("the idle connection's check started").isTrue();
            AsyncGet waiter = AsyncGet.start(pool, Duration.ofSeconds(20));
            Await.until(() -> pool.stats().waiters() == 1, WAIT_BOUND, () -> "queued: " + pool.stats());
            failNow.countDown();
            try (PooledConnection c = waiter.connection(WAIT_BOUND)) {
                assertThat(barging.isDone()).as("the caller that never queued waits behind").isFalse();
                Echo.roundTrip(c);
            }
            barging.connection(WAIT_BOUND).close();
            assertThat(pool.stats().pingFailed()).isEqualTo(1);
            assertThat(server.accepted()).isEqualTo(2);
        }
    }
}
