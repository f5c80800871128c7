package dev.connpool.testkit;

import dev.connpool.HealthCheck;
import java.io.IOException;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A health check that passes every connection but the one socket the test marks, whose check runs
 * the failure the test gave (an {@link IOException} by default; a RuntimeException, an Error, an
 * interrupt or a wait first, for the edges).
 */
public final class FailingCheck implements HealthCheck {

    /** What the marked socket's check does. */
    public interface Failure {
        void fail() throws IOException;
    }

    private final AtomicReference<Socket> marked = new AtomicReference<>();
    private final Failure failure;

    private FailingCheck(Failure failure) {
        this.failure = failure;
    }

    /** Fails the marked socket's check with an IOException. */
    public static FailingCheck ioException() {
        return throwing(() -> {
            throw new IOException("failed its check on purpose");
        });
    }

    /** Runs the failure for the marked socket's check. */
    public static FailingCheck throwing(Failure failure) {
        return new FailingCheck(failure);
    }

    /** From now on, this socket's check fails. */
    public void mark(Socket socket) {
        marked.set(socket);
    }

    @Override
    public void check(Socket socket) throws IOException {
        if (socket == marked.get()) {
            failure.fail();
        }
    }
}
