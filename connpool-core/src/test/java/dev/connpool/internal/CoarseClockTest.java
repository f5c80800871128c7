package dev.connpool.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.connpool.ConnPool;
import dev.connpool.ConnPoolConfig;
import dev.connpool.ConnectionFactory;
import dev.connpool.HealthCheck;
import dev.connpool.testkit.Await;
import dev.connpool.testkit.NoPoolThreads;
import dev.connpool.testkit.TestServer;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The shared clock: its ticker runs while a pool holds it and is joined when the last lets go; the
 * test skew moves both readings at once, forward only. Each test starts with no pool open (the
 * suites close every pool they make), so the holders count is this test's.
 */
@Timeout(30)
@ExtendWith(NoPoolThreads.class)
class CoarseClockTest {

    private static final Duration BOUND = Duration.ofSeconds(5);

    private static Optional<Thread> ticker() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().equals("connpool-clock"))
                .findFirst();
    }

    @BeforeEach
    void noHolder() {
        assertThat(CoarseClock.running()).as("a pool left open by an earlier test holds the clock").isFalse();
    }

    @Test
    void theTickerRunsWhileHeldAndIsJoinedWhenTheLastHolderLetsGo() {
        CoarseClock.retain();
        try {
            CoarseClock.retain();
            try {
                assertThat(CoarseClock.running()).isTrue();
                Thread t = ticker().orElseThrow(() -> new AssertionError("no connpool-clock thread"));
                assertThat(t.isDaemon()).as("the ticker never keeps a JVM alive").isTrue();
                // it ticks by itself
                long start = CoarseClock.now();
                Await.until(() -> CoarseClock.now() - start >= 2 * CoarseClock.TICK_NANOS, BOUND,
                        "the coarse clock did not move");
            } finally {
                CoarseClock.release();
            }
            assertThat(CoarseClock.running()).as("one holder left").isTrue();
            assertThat(ticker()).isPresent();
        } finally {
            CoarseClock.release();
        }
        assertThat(CoarseClock.running()).isFalse();
        assertThat(ticker()).as("joined by the last release").isEmpty();
    }

    @Test
    void aReadingTakenWhenTheTickerStartsIsCurrent() {
        long before = CoarseClock.precise();
        CoarseClock.retain();
        try {
            // before the ticker's first tick has necessarily run: retain itself set the reading
            assertThat(CoarseClock.now()).isGreaterThanOrEqualTo(before);
        } finally {
            CoarseClock.release();
        }
    }

    @Test
    void releasingMoreOftenThanRetainingFails() {
        assertThatThrownBy(CoarseClock::release).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("released more often than retained");
        // and it did not count: the next pair still starts and stops the ticker
        CoarseClock.retain();
        assertThat(CoarseClock.running()).isTrue();
        CoarseClock.release();
        assertThat(CoarseClock.running()).isFalse();
    }

    @Test
    void anInterruptedReleaseStillJoinsTheTickerAndKeepsTheFlag() {
        CoarseClock.retain();
        Thread.currentThread().interrupt();
        try {
            CoarseClock.release();
            assertThat(Thread.currentThread().isInterrupted()).as("the interrupt is kept for the caller").isTrue();
        } finally {
            Thread.interrupted();
        }
        assertThat(ticker()).as("joined despite the interrupt").isEmpty();
    }

    @Test
    void advanceMovesBothReadingsAtOnceWithOrWithoutTheTicker() {
        long hour = TimeUnit.HOURS.toNanos(1);
        long precise = CoarseClock.precise();
        CoarseClock.advance(hour);
        assertThat(CoarseClock.precise() - precise).isGreaterThanOrEqualTo(hour).isLessThan(hour + BOUND.toNanos());
        assertThat(CoarseClock.now() - precise).as("no ticker: set directly").isGreaterThanOrEqualTo(hour);
        CoarseClock.retain();
        try {
            long coarse = CoarseClock.now();
            CoarseClock.advance(hour);
            assertThat(CoarseClock.now() - coarse).as("with the ticker: shown on return").isGreaterThanOrEqualTo(hour);
            // and the ticker keeps the skew: later ticks do not fall back
            long shown = CoarseClock.now();
            Await.until(() -> CoarseClock.now() - shown >= 2 * CoarseClock.TICK_NANOS, BOUND, "the clock ticks on");
            assertThat(CoarseClock.now() - coarse).isGreaterThanOrEqualTo(hour);
        } finally {
            CoarseClock.release();
        }
        assertThatThrownBy(() -> CoarseClock.advance(-1)).isInstanceOf(IllegalArgumentException.class);
        CoarseClock.advance(0);
    }

    /**
     * Only a pool with a rule that needs time (idle timeout, lifetime, or a {@code healthCheckAfterIdle}
     * window for a real check) holds the clock: one without any costs no thread.
     */
    @Test
    void onlyAPoolWithATimeRuleHoldsTheClock() throws Exception {
        try (TestServer server = TestServer.echo()) {
            ConnectionFactory tcp = ConnectionFactory.tcp(server.host(), server.port(), BOUND);
            try (ConnPool untimed = ConnPool.create("untimed", ConnPoolConfig.builder().maxSize(1)
                    .evictInterval(Duration.ZERO).build(), tcp)) {
                untimed.get(BOUND).close();
                assertThat(CoarseClock.running()).as("no idle timeout, lifetime or window").isFalse();
            }
            try (ConnPool unchecked = ConnPool.create("window-without-check", ConnPoolConfig.builder().maxSize(1)
                    .healthCheck(HealthCheck.none()).healthCheckAfterIdle(Duration.ofSeconds(1))
                    .evictInterval(Duration.ZERO).build(), tcp)) {
                assertThat(CoarseClock.running()).as("a window with no check to skip").isFalse();
            }
            try (ConnPool timed = ConnPool.create("timed", ConnPoolConfig.builder().maxSize(1)
                    .idleTimeout(Duration.ofMinutes(1)).evictInterval(Duration.ZERO).build(), tcp)) {
                assertThat(CoarseClock.running()).as("an idle timeout").isTrue();
            }
        }
    }

    /**
     * The ticker sleeps between ticks: over 25 ticks it is busy for under an eighth of the time. One
     * that sleeps uses a few percent at most, even on a loaded machine; one that spins gets a large
     * share of a core.
     */
    @Test
    void theTickerSleepsBetweenTicks() {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        assertThat(threads.isThreadCpuTimeSupported()).as("thread CPU time measurable").isTrue();
        CoarseClock.retain();
        try {
            Thread t = ticker().orElseThrow(() -> new AssertionError("no connpool-clock thread"));
            long first = CoarseClock.now();
            Await.until(() -> CoarseClock.now() != first, BOUND, "the ticker did not tick"); // started
            long cpu0 = threads.getThreadCpuTime(t.getId());
            long wall0 = System.nanoTime();
            long start = CoarseClock.now();
            Await.until(() -> CoarseClock.now() - start >= 25 * CoarseClock.TICK_NANOS, BOUND,
                    "the coarse clock did not move");
            long cpu = threads.getThreadCpuTime(t.getId()) - cpu0;
            long wall = System.nanoTime() - wall0;
            assertThat(cpu).as("the ticker's CPU time over %d ms, ns", TimeUnit.NANOSECONDS.toMillis(wall))
                    .isLessThan(wall / 8);
        } finally {
            CoarseClock.release();
        }
    }
}
