package dev.connpool.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.connpool.ConnPool;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** Interrupt checks shared by the suites. */
public final class Interrupts {

    private Interrupts() {
    }

    /**
     * With the calling thread's interrupt flag set before the call, a get fails with
     * {@link InterruptedIOException} and leaves the flag set; the flag is cleared again afterwards.
     */
    public static void getFailsKeepingTheFlag(ConnPool pool, Duration timeout) {
        Thread.currentThread().interrupt();
        try {
            assertThatThrownBy(() -> pool.get(timeout)).isInstanceOf(InterruptedIOException.class);
            assertThat(Thread.currentThread().isInterrupted()).as("interrupt flag kept").isTrue();
        } finally {
            Thread.interrupted();
        }
    }

    /**
     * Waits for the latch inside a user's I/O callback (a connect, a health check), as blocking I/O
     * would: an interrupt ends the wait with {@link InterruptedIOException} and the flag kept.
     *
     * @throws IOException naming what never came if the timeout passes first
     */
    public static void awaitAsIo(CountDownLatch latch, Duration timeout, String neverCame) throws IOException {
        try {
            if (!latch.await(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                throw new IOException(neverCame);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting: " + neverCame);
        }
    }

    /**
     * Waits until the latch is released, deaf to interrupts, as a user's call bounded by its own
     * timeout is (a connect, a health check): the pool's interrupts on close do not end it. The
     * interrupt flag is left clear.
     */
    public static void awaitIgnoringInterrupts(CountDownLatch release) {
        while (release.getCount() > 0) {
            try {
                release.await();
            } catch (InterruptedException ignored) {
                // deaf on purpose: it goes on until released
            }
        }
    }
}
