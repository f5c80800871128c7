package dev.connpool.testkit;

import dev.connpool.ConnectionFactory;
import java.io.IOException;
import java.net.Socket;
import java.util.function.Supplier;

/**
 * A connection factory that, while broken, throws what the test asks (an {@link Error} or a
 * {@link RuntimeException}: user code failing, not a refused connect), and otherwise connects for
 * real.
 */
public final class BrokenFactory implements ConnectionFactory {

    private final ConnectionFactory real;
    private final Supplier<? extends Throwable> toThrow;
    private volatile boolean broken;

    public BrokenFactory(ConnectionFactory real, Supplier<? extends Throwable> toThrow, boolean broken) {
        this.real = real;
        this.toThrow = toThrow;
        this.broken = broken;
    }

    /** Breaks or mends the factory. */
    public void broken(boolean broken) {
        this.broken = broken;
    }

    @Override
    public Socket create() throws IOException {
        if (broken) {
            Throwable t = toThrow.get();
            if (t instanceof Error) {
                throw (Error) t;
            }
            throw (RuntimeException) t;
        }
        return real.create();
    }
}
