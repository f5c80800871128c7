package dev.connpool.testkit;

import dev.connpool.ConnectionFactory;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.Socket;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A connection factory whose first connect blocks until the test releases it (then connects for
 * real), for tests that act while a connect is in flight; later connects go straight through.
 */
public final class GatedFactory implements ConnectionFactory {

    private final ConnectionFactory real;
    private final AtomicBoolean first = new AtomicBoolean(true);
    private final CountDownLatch entered = new CountDownLatch(1);
    private final CountDownLatch released = new CountDownLatch(1);

    public GatedFactory(ConnectionFactory real) {
        this.real = real;
    }

    /** Waits until the first connect has started (and blocks). */
    public void awaitEntered() throws InterruptedException {
        if (!entered.await(10, TimeUnit.SECONDS)) {
            throw new AssertionError("the first connect never started");
        }
    }

    /** Lets the first connect go on. */
    public void release() {
        released.countDown();
    }

    @Override
    public Socket create() throws IOException {
        if (first.getAndSet(false)) {
            entered.countDown();
            try {
                if (!released.await(10, TimeUnit.SECONDS)) {
                    throw new IOException("the gate was never released");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("connect interrupted");
            }
        }
        return real.create();
    }
}
