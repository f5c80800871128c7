package dev.connpool.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.connpool.testkit.Await;
import dev.connpool.testkit.NoPoolThreads;
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
}
