package dev.connpool.testkit;

import dev.connpool.ConnectionFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * A connection factory for plain loopback sockets whose {@code close()} closes the socket, then
 * throws (an {@link Error} or a {@link RuntimeException}, as the test asks): the socket is gone,
 * but a pool that skips its bookkeeping on the throw loses the room or never finishes closing.
 */
public final class CloseThrowingFactory implements ConnectionFactory {

    /** Thrown by {@link Socket#close()} on purpose. */
    public static final class CloseError extends Error {
        private static final long serialVersionUID = 1L;

        public CloseError() {
            super("thrown by Socket.close() on purpose");
        }
    }

    /** Thrown by {@link Socket#close()} on purpose, in the unchecked-exception flavour. */
    public static final class CloseFailure extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public CloseFailure() {
            super("thrown by Socket.close() on purpose");
        }
    }

    private final String host;
    private final int port;
    private final Supplier<? extends Throwable> toThrow;
    private final AtomicInteger closes = new AtomicInteger();

    private CloseThrowingFactory(String host, int port, Supplier<? extends Throwable> toThrow) {
        this.host = host;
        this.port = port;
        this.toThrow = toThrow;
    }

    /** Sockets whose close throws a {@link CloseError}. */
    public static CloseThrowingFactory error(String host, int port) {
        return new CloseThrowingFactory(host, port, CloseError::new);
    }

    /** Sockets whose close throws a {@link CloseFailure}. */
    public static CloseThrowingFactory runtimeException(String host, int port) {
        return new CloseThrowingFactory(host, port, CloseFailure::new);
    }

    /** How many times a socket of this factory was closed (each close counts, repeated ones too). */
    public int closes() {
        return closes.get();
    }

    /**
     * Waits until sockets of this factory were closed {@code expected} times (a pool may close them
     * on a thread of its own), and checks that it was not more.
     */
    public void awaitCloses(int expected, Duration timeout) {
        Await.until(() -> closes.get() >= expected, timeout,
                () -> "socket closes: expected " + expected + ", was " + closes.get());
        if (closes.get() != expected) {
            throw new AssertionError("socket closes: expected " + expected + ", was " + closes.get());
        }
    }

    @Override
    public Socket create() throws IOException {
        Socket s = new ThrowingCloseSocket();
        try {
            s.connect(new InetSocketAddress(host, port), 5_000);
        } catch (IOException e) {
            tolerating(() -> {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // failed anyway
                }
            });
            throw e;
        }
        return s;
    }

    /** Runs a pool operation that may pass on what a socket's close threw (or not). */
    public static void tolerating(Runnable r) {
        try {
            r.run();
        } catch (CloseError | CloseFailure fromSocketClose) {
            // the pool may pass it on; the test checks that its bookkeeping was done
        }
    }

    private final class ThrowingCloseSocket extends Socket {
        @Override
        public synchronized void close() throws IOException {
            super.close();
            closes.incrementAndGet();
            Throwable t = toThrow.get();
            if (t instanceof Error) {
                throw (Error) t;
            }
            throw (RuntimeException) t;
        }
    }
}
