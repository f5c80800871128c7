package dev.connpool.testkit;

import dev.connpool.ConnectionFactory;
import java.io.IOException;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A connection factory whose first connect (or the one after a given number) blocks until the test
 * releases it (then connects for real), for tests that act while a connect is in flight; the
 * others go straight through.
 */
public final class GatedFactory implements ConnectionFactory {

    private final ConnectionFactory real;
    private final AtomicInteger before;
    private final CountDownLatch entered = new CountDownLatch(1);
    private final CountDownLatch released = new CountDownLatch(1);

    public GatedFactory(ConnectionFactory real) {
        this(real, 0);
    }

    /** Lets the first {@code throughFirst} connects through, then holds the next one. */
    public GatedFactory(ConnectionFactory real, int throughFirst) {
        this.real = real;
        this.before = new AtomicInteger(throughFirst);
    }

    /** Waits until the held connect has started (and blocks). */
    public void awaitEntered() throws InterruptedException {
        if (!entered.await(10, TimeUnit.SECONDS)) {
            throw new AssertionError("the held connect never started");
        }
    }

    /** Lets the held connect go on. */
    public void release() {
        released.countDown();
    }

    @Override
    public Socket create() throws IOException {
        if (before.getAndDecrement() == 0) {
            entered.countDown();
            Interrupts.awaitAsIo(released, Duration.ofSeconds(10), "the gate was never released");
        }
        return real.create();
    }
}
