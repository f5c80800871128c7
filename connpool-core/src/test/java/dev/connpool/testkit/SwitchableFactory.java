package dev.connpool.testkit;

import dev.connpool.ConnectionFactory;
import java.io.IOException;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A connection factory that counts (and times) every connect attempt and hands it to the factory
 * of the moment, which a test switches: from a backend that refuses (a closed loopback port) to a
 * live one, say.
 */
public final class SwitchableFactory implements ConnectionFactory {

    private final AtomicReference<ConnectionFactory> current;
    private final List<Long> attempts = new CopyOnWriteArrayList<>();

    public SwitchableFactory(ConnectionFactory initial) {
        current = new AtomicReference<>(initial);
    }

    /** A real TCP factory whose connects are refused: it dials a closed loopback port. */
    public static ConnectionFactory refusing() throws IOException {
        return ConnectionFactory.tcp("127.0.0.1", Ports.closed(), Duration.ofSeconds(1));
    }

    /** From now on, connects go to this factory. */
    public void switchTo(ConnectionFactory next) {
        current.set(next);
    }

    /** Connect attempts so far. */
    public int attempts() {
        return attempts.size();
    }

    /** When each attempt started ({@code System.nanoTime()}), in order. */
    public List<Long> attemptTimes() {
        return List.copyOf(attempts);
    }

    @Override
    public Socket create() throws IOException {
        attempts.add(System.nanoTime());
        return current.get().create();
    }
}
