package dev.connpool.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The connect backoff's arithmetic: 100 ms doubling to the max, one outage counted once, a success ends it. */
class BackoffTest {

    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    @Test
    void theDelayStartsAt100MsAndDoublesUpToTheMax() {
        long max = 1_000 * MS;
        assertThat(Backoff.delayNanos(1, max)).isEqualTo(100 * MS);
        assertThat(Backoff.delayNanos(2, max)).isEqualTo(200 * MS);
        assertThat(Backoff.delayNanos(3, max)).isEqualTo(400 * MS);
        assertThat(Backoff.delayNanos(4, max)).isEqualTo(800 * MS);
        assertThat(Backoff.delayNanos(5, max)).isEqualTo(max);
        assertThat(Backoff.delayNanos(1_000, max)).as("no overflow however long the outage").isEqualTo(max);
        assertThat(Backoff.delayNanos(1, 30 * MS)).as("a max under 100 ms caps the first delay").isEqualTo(30 * MS);
    }

    @Test
    void failuresInFlightAtTheLatestCountedFailureAreTheSameOutage() {
        Backoff b = new Backoff(10_000 * MS);
        IOException refused = new IOException("refused");
        long t = 1_000_000 * MS;
        // eight connects started together at t; the first failure counts, the other seven do not
        for (int i = 0; i < 8; i++) {
            b.failed(t, refused, t + (i + 1) * MS);
        }
        assertThat(b.active()).isTrue();
        assertThat(b.retryAt).isEqualTo(t + MS + 100 * MS);
        // the probe, started after it, doubles the delay
        b.failed(t + 101 * MS, refused, t + 102 * MS);
        assertThat(b.retryAt).isEqualTo(t + 102 * MS + 200 * MS);
        assertThat(b.lastFailure).isSameAs(refused);
    }

    @Test
    void aSuccessEndsItAndTheNextOutageStartsAt100MsAgain() {
        Backoff b = new Backoff(10_000 * MS);
        IOException refused = new IOException("refused");
        b.failed(0, refused, 1);
        b.failed(2, refused, 3);
        assertThat(b.succeeded()).isTrue();
        assertThat(b.active()).isFalse();
        assertThat(b.lastFailure).isNull();
        assertThat(b.succeeded()).as("not backing off any more").isFalse();
        b.failed(10, refused, 11);
        assertThat(b.retryAt).isEqualTo(11 + 100 * MS);
    }

    @Test
    void zeroTurnsItOff() {
        Backoff b = new Backoff(0);
        b.failed(0, new IOException("refused"), 1);
        assertThat(b.active()).isFalse();
    }

    /**
     * A connect that started before a failure counted in an earlier outage, and fails after a success
     * ended that outage, starts a new one: the success reset the count, so nothing is in flight "at
     * the latest counted failure" any more.
     */
    @Test
    void aFailureAfterASuccessStartsANewOutageWhenItsConnectBeganBeforeTheOldOne() {
        Backoff b = new Backoff(10_000 * MS);
        IOException refused = new IOException("refused");
        b.failed(100 * MS, refused, 200 * MS);
        b.succeeded();
        b.failed(50 * MS, refused, 300 * MS); // started before the failure counted at 200 ms
        assertThat(b.active()).as("backing off again").isTrue();
        assertThat(b.retryAt).isEqualTo(300 * MS + 100 * MS);
    }

    /** A connect that started at the very instant the latest failure was counted is further evidence. */
    @Test
    void aConnectStartedExactlyAtTheCountedFailureDoublesTheDelay() {
        Backoff b = new Backoff(10_000 * MS);
        IOException refused = new IOException("refused");
        b.failed(0, refused, 100 * MS);
        b.failed(100 * MS, refused, 150 * MS);
        assertThat(b.retryAt).isEqualTo(150 * MS + 200 * MS);
    }
}
