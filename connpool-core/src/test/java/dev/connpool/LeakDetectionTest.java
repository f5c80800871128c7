package dev.connpool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.connpool.internal.EngineHooks;
import dev.connpool.testkit.Await;
import dev.connpool.testkit.EchoBackendTest;
import dev.connpool.testkit.Interrupts;
import dev.connpool.testkit.Gc;
import dev.connpool.testkit.NoPoolThreads;
import dev.connpool.testkit.PoolLog;
import dev.connpool.testkit.Stress;
import dev.connpool.testkit.VirtualThreads;
import java.io.InterruptedIOException;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code leakDetectionThreshold} (DESIGN §7.1): a lease held longer is reported once, with a WARNING
 * naming the pool, the holder thread and the time held, carrying the stack of the {@code get} that
 * took it, and counted in {@code leaksSuspected}; an INFO follows when it comes back late. Off, the
 * pool logs and counts nothing and runs no thread for it.
 */
class LeakDetectionTest extends EchoBackendTest {

    private static final Duration THRESHOLD = Duration.ofMillis(200);
    private static final Duration BOUND = Duration.ofSeconds(5);

    @RegisterExtension
    final PoolLog log = new PoolLog();

    /** Leak detection on, the evictor off: the scan must not depend on the evictor. */
    private ConnPool detecting(String name) throws Exception {
        return ConnPool.create(name, ConnPoolConfig.builder().maxSize(2).evictInterval(Duration.ZERO)
                .leakDetectionThreshold(THRESHOLD).build(), tcp());
    }

    private List<LogRecord> warnings(String pool) {
        return log.at(Level.WARNING, "connpool '" + pool + "': possible connection leak");
    }

    private List<LogRecord> lateReturns(String pool) {
        return log.at(Level.INFO, "connpool '" + pool + "': the connection reported as a possible leak was returned");
    }

    /** The get whose stack the report must show. */
    private static PooledConnection takeAndKeep(ConnPool pool) throws Exception {
        return pool.get(BOUND);
    }

    @Test
    void aLeaseHeldPastTheThresholdIsReportedOnceWithTheStackOfItsGet() throws Exception {
        try (ConnPool pool = detecting("leaky")) {
            long taken = System.nanoTime();
            PooledConnection leaked = takeAndKeep(pool);
            Await.until(() -> warnings("leaky").size() == 1, BOUND, () -> "one leak warning:\n" + log.messages());
            long reportedAfter = System.nanoTime() - taken;
            assertThat(Duration.ofNanos(reportedAfter)).as("reported after the threshold, not before")
                    .isGreaterThanOrEqualTo(THRESHOLD);
            LogRecord warning = warnings("leaky").get(0);
            assertThat(warning.getMessage()).contains("has been held for", "leakDetectionThreshold 200 ms",
                    "by thread '" + Thread.currentThread().getName() + "'");
            StackTraceElement[] stack = warning.getThrown().getStackTrace();
            assertThat(stack[0].getMethodName()).as("the stack starts at the caller's get: %s",
                    Arrays.toString(stack)).isEqualTo("takeAndKeep");
            assertThat(pool.stats().leaksSuspected()).isEqualTo(1);

            // however long it stays out, it is reported once
            PooledConnection other = pool.get(BOUND);
            other.close();
            Await.until(() -> pool.stats().successes() == 2, BOUND, "second get counted");
            ageAndScan(pool, THRESHOLD.multipliedBy(3));
            ageAndScan(pool, THRESHOLD.multipliedBy(3));
            assertThat(warnings("leaky")).hasSize(1);
            assertThat(lateReturns("leaky")).isEmpty();
            leaked.close();
            assertThat(lateReturns("leaky")).hasSize(1);
            assertThat(lateReturns("leaky").get(0).getMessage()).contains("was returned after", "ms by thread");
            assertThat(pool.stats().leaksSuspected()).isEqualTo(1);
            assertThat(pool.stats().active()).isZero();
        }
    }

    /**
     * On the engine's clock: a threshold of ten seconds (its scan runs every 2.5 s of real time, so
     * the test's own scans are the ones that count), a lease aged nine seconds is not reported, and
     * one second later it is, once. Real time adds a little to both ages, so "at exactly the
     * threshold" ({@code >=} against {@code >}) cannot be told apart.
     */
    @Test
    void aLeaseIsReportedOnlyOnceItsAgeReachesTheThreshold() throws Exception {
        try (ConnPool pool = ConnPool.create("aging", ConnPoolConfig.builder().maxSize(1).evictInterval(Duration.ZERO)
                .leakDetectionThreshold(Duration.ofSeconds(10)).build(), tcp())) {
            PooledConnection held = takeAndKeep(pool);
            ageAndScan(pool, Duration.ofSeconds(9));
            assertThat(warnings("aging")).as("nine seconds into a ten-second threshold").isEmpty();
            assertThat(pool.stats().leaksSuspected()).isZero();
            ageAndScan(pool, Duration.ofSeconds(1));
            assertThat(warnings("aging")).hasSize(1);
            assertThat(warnings("aging").get(0).getMessage()).contains("leakDetectionThreshold 10000 ms")
                    .containsPattern("has been held for 1[0-9]{4} ms");
            assertThat(pool.stats().leaksSuspected()).isEqualTo(1);
            held.close();
            assertThat(lateReturns("aging").get(0).getMessage()).containsPattern("was returned after 1[0-9]{4} ms");
        }
    }

    /**
     * The housekeeping thread scans every quarter of the threshold, so a report is at most that late:
     * for a one-second threshold every 250 ms, well inside the two seconds allowed here (a scan every
     * four seconds would miss them). The lease is aged on the engine's clock; only the schedule is real.
     */
    @Test
    void theScheduledScanRunsEveryQuarterOfTheThreshold() throws Exception {
        try (ConnPool pool = ConnPool.create("quarterly", ConnPoolConfig.builder().maxSize(1)
                .evictInterval(Duration.ZERO).leakDetectionThreshold(Duration.ofSeconds(1)).build(), tcp())) {
            PooledConnection held = takeAndKeep(pool);
            EngineHooks.advanceClock(Duration.ofSeconds(2));
            Await.until(() -> pool.stats().leaksSuspected() == 1, Duration.ofSeconds(2),
                    () -> "reported by a scheduled scan: " + pool.stats());
            held.close();
        }
    }

    /** Moves the engine's clock, which leases age by, then runs one leak scan on this thread. */
    private static void ageAndScan(ConnPool pool, Duration d) {
        EngineHooks.advanceClock(d);
        EngineHooks.scanForLeaks(pool);
    }

    @Test
    void leasesReturnedInTimeAreNeverReported() throws Exception {
        try (ConnPool pool = detecting("tidy")) {
            for (int i = 0; i < 100; i++) {
                try (PooledConnection c = pool.get(BOUND)) {
                    assertThat(c.socket().isConnected()).isTrue();
                }
            }
            ageAndScan(pool, THRESHOLD.multipliedBy(3));
            assertThat(warnings("tidy")).isEmpty();
            assertThat(pool.stats().leaksSuspected()).isZero();
        }
    }

    @Test
    void offByDefaultItLogsNothingCountsNothingAndRunsNoThread() throws Exception {
        try (ConnPool pool = ConnPool.create("undetected", ConnPoolConfig.builder().maxSize(1)
                .evictInterval(Duration.ZERO).build(), tcp())) {
            assertThat(pool.config().leakDetectionThreshold()).isZero();
            assertThat(NoPoolThreads.poolThreads()).doesNotContain("undetected-housekeeper");
            try (PooledConnection c = pool.get(BOUND)) {
                // held three times as long as the threshold would have allowed
                ageAndScan(pool, THRESHOLD.multipliedBy(3));
            }
            assertThat(pool.stats().leaksSuspected()).isZero();
            assertThat(log.messages()).doesNotContain("leak");
        }
    }

    @Test
    void theHousekeepingThreadRunsForLeakDetectionAloneAndCloseJoinsIt() throws Exception {
        ConnPool pool = detecting("scan-thread");
        Await.until(() -> NoPoolThreads.poolThreads().contains("connpool-scan-thread-housekeeper"), BOUND,
                "housekeeping thread running with the evictor off");
        pool.close();
        assertThat(NoPoolThreads.poolThreads()).doesNotContain("scan-thread");
    }

    @Test
    void aLeakByAThreadThatEndedSaysSo() throws Exception {
        try (ConnPool pool = detecting("orphan")) {
            AtomicReference<PooledConnection> leaked = new AtomicReference<>();
            Thread t = new Thread(() -> {
                try {
                    leaked.set(takeAndKeep(pool));
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            }, "leaking-worker");
            t.start();
            t.join(BOUND.toMillis());
            assertThat(leaked.get()).isNotNull();
            Await.until(() -> warnings("orphan").size() == 1, BOUND, () -> log.messages());
            assertThat(warnings("orphan").get(0).getMessage()).contains("by thread 'leaking-worker', which has ended");
            leaked.get().close();
            assertThat(lateReturns("orphan")).hasSize(1);
        }
    }

    @Test
    void aStaleLeaseClosedAgainDoesNotHideTheNextLeaseOfItsSocket() throws Exception {
        try (ConnPool pool = ConnPool.create("stale", ConnPoolConfig.builder().maxSize(1).evictInterval(Duration.ZERO)
                .healthCheck(HealthCheck.none()).leakDetectionThreshold(THRESHOLD).build(), tcp())) {
            PooledConnection first = pool.get(BOUND);
            first.close();
            PooledConnection second = takeAndKeep(pool); // the same socket: maxSize 1
            first.close(); // stale: must not settle the second lease's record
            Await.until(() -> warnings("stale").size() == 1, BOUND, () -> "the second lease reported:\n" + log.messages());
            second.markUnusable();
            second.close();
            assertThat(lateReturns("stale")).hasSize(1);
            assertThat(pool.stats().unusableClosed()).isEqualTo(1);
        }
    }

    @Test
    void anInterruptedGetTakesNothingAndIsNeverReported() throws Exception {
        try (ConnPool pool = detecting("interrupted")) {
            Interrupts.getFailsKeepingTheFlag(pool, BOUND);
            // interrupted while waiting: the pool is full with two leases held by this test
            PooledConnection a = pool.get(BOUND);
            PooledConnection b = pool.get(BOUND);
            CompletableFuture<Throwable> waiter = new CompletableFuture<>();
            Thread t = new Thread(() -> {
                try {
                    pool.get(BOUND).close();
                    waiter.complete(null);
                } catch (Throwable e) {
                    waiter.complete(e);
                }
            }, "interrupted-waiter");
            t.start();
            Await.until(() -> pool.stats().waiters() == 1, BOUND, "waiting");
            t.interrupt();
            assertThat(waiter.get(5, TimeUnit.SECONDS)).isInstanceOf(InterruptedIOException.class);
            a.close();
            b.close();
            // nothing is out: the scans that follow find nothing to report
            Await.until(() -> pool.stats().requests() >= 4, BOUND, "counted");
            ageAndScan(pool, THRESHOLD.multipliedBy(2));
            assertThat(warnings("interrupted")).isEmpty();
        }
    }

    @Test
    void aThrowingTrackerBreaksNeitherTheLeaseNorItsReport() throws Exception {
        try (ConnPool pool = detecting("tracked")) {
            pool.addMetricsTracker(new MetricsTracker() {
                @Override
                public void acquired(long nanos) {
                    throw new IllegalStateException("tracker bug on purpose");
                }

                @Override
                public void released(long nanos) {
                    throw new AssertionError("tracker error on purpose");
                }
            });
            PooledConnection leaked = takeAndKeep(pool);
            Await.until(() -> warnings("tracked").size() == 1, BOUND, () -> log.messages());
            leaked.close();
            assertThat(lateReturns("tracked")).hasSize(1);
            assertThat(pool.stats().active()).isZero();
        }
    }

    @Test
    void closingThePoolWithALeakOutStopsTheScanAndTheLateReturnIsHarmless() throws Exception {
        ConnPool pool = detecting("closing");
        PooledConnection leaked = takeAndKeep(pool);
        Await.until(() -> warnings("closing").size() == 1, BOUND, () -> log.messages());
        pool.close();
        assertThat(NoPoolThreads.poolThreads()).doesNotContain("closing");
        leaked.close();
        assertThat(lateReturns("closing")).hasSize(1);
        PoolStats s = pool.stats();
        assertThat(s.size()).isZero();
        assertThat(s.closed()).isEqualTo(s.created());
        server.awaitOpen(0, BOUND);
    }

    @Test
    @Stress
    void closeRacingTheScanOverManyLeaksThrowsNothing() throws Exception {
        for (int round = 0; round < 20; round++) {
            ConnPool pool = ConnPool.create("race-" + round, ConnPoolConfig.builder().maxSize(4)
                    .evictInterval(Duration.ofMillis(1)).leakDetectionThreshold(Duration.ofMillis(1)).build(), tcp());
            PooledConnection[] held = new PooledConnection[4];
            for (int i = 0; i < held.length; i++) {
                held[i] = pool.get(BOUND);
            }
            int reported = round % 4; // close at different points of the reporting
            Await.until(() -> pool.stats().leaksSuspected() >= reported, BOUND, "some reported");
            pool.close();
            for (PooledConnection c : held) {
                c.close();
            }
            PoolStats s = pool.stats();
            assertThat(s.closed()).isEqualTo(s.created());
            assertThat(s.leaksSuspected()).isBetween(0L, 4L);
        }
        server.awaitOpen(0, BOUND);
    }

    @Test
    void aVirtualThreadsLeakIsReportedWithItsStack() throws Exception {
        ThreadFactory virtual = VirtualThreads.factory();
        try (ConnPool pool = detecting("virtual")) {
            AtomicReference<PooledConnection> leaked = new AtomicReference<>();
            CountDownLatch release = new CountDownLatch(1);
            CompletableFuture<Throwable> done = new CompletableFuture<>();
            Thread t = virtual.newThread(() -> {
                try {
                    leaked.set(takeAndKeep(pool));
                    release.await();
                    leaked.get().close();
                    done.complete(null);
                } catch (Throwable e) {
                    done.complete(e);
                }
            });
            t.start();
            Await.until(() -> warnings("virtual").size() == 1, BOUND, () -> log.messages());
            LogRecord warning = warnings("virtual").get(0);
            assertThat(warning.getMessage()).contains("by thread VirtualThread");
            assertThat(warning.getThrown().getStackTrace()[0].getMethodName()).isEqualTo("takeAndKeep");
            release.countDown();
            assertThat(done.get(5, TimeUnit.SECONDS)).isNull();
            assertThat(lateReturns("virtual")).hasSize(1);
        }
    }

    @Test
    void aThousandLeasesOnTheSameThreadLeaveNoRecordBehind() throws Exception {
        try (ConnPool pool = ConnPool.create("repeated", ConnPoolConfig.builder().maxSize(1)
                .healthCheck(HealthCheck.none()).leakDetectionThreshold(Duration.ofSeconds(1)).build(), tcp())) {
            CompletableFuture<Throwable> done = new CompletableFuture<>();
            Thread user = new Thread(() -> {
                try {
                    for (int i = 0; i < 1000; i++) {
                        try (PooledConnection c = pool.get(BOUND)) {
                            assertThat(c.socket().isClosed()).isFalse();
                        }
                    }
                    done.complete(null);
                } catch (Throwable e) {
                    done.complete(e);
                }
            }, "repeated-user");
            user.start();
            assertThat(done.get(30, TimeUnit.SECONDS)).isNull();
            user.join(BOUND.toMillis());
            // the records of returned leases are gone: nothing the pool keeps holds the ended thread
            List<WeakReference<Thread>> ref = List.of(new WeakReference<>(user));
            user = null;
            Gc.awaitCollected(ref, Duration.ofSeconds(20), () -> "the thread of 1000 returned leases");
            assertThat(pool.stats().successes()).isEqualTo(1000);
            assertThat(pool.stats().leaksSuspected()).isZero();
        }
    }

    @Test
    void aHealthCheckThrowingARuntimeExceptionOrAnErrorLeavesNoRecord() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        HealthCheck check = socket -> {
            int n = calls.incrementAndGet();
            if (n == 1) {
                throw new IllegalStateException("check bug on purpose");
            }
            if (n == 2) {
                throw new AssertionError("check error on purpose");
            }
        };
        try (ConnPool pool = ConnPool.create("check-fails", ConnPoolConfig.builder().maxSize(1)
                .evictInterval(Duration.ZERO).healthCheck(check).leakDetectionThreshold(THRESHOLD).build(), tcp())) {
            pool.get(BOUND).close(); // new: not checked; idle now, so the next get checks it
            pool.get(BOUND).close(); // the check throws a RuntimeException: closed, a new one lent
            // the new one idle, checked: an Error, passed on to the caller, the connection closed
            assertThatThrownBy(() -> pool.get(BOUND)).isInstanceOf(AssertionError.class);
            try (PooledConnection c = pool.get(BOUND)) {
                assertThat(c.socket().isConnected()).isTrue();
            }
            // nothing is out: after more than the threshold, nothing was reported
            ageAndScan(pool, THRESHOLD.multipliedBy(2));
            assertThat(pool.stats().leaksSuspected()).isZero();
            assertThat(warnings("check-fails")).isEmpty();
        }
    }
}
