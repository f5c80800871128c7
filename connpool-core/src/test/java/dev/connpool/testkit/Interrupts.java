package dev.connpool.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.connpool.ConnPool;
import java.io.InterruptedIOException;
import java.time.Duration;

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
}
