package dev.connpool.benchmarks.pools;

import java.net.Socket;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/**
 * The baseline: the pool a developer writes in five minutes, an {@link ArrayBlockingQueue} filled
 * with {@code maxSize} sockets. Polled with the same bound as the pools (which costs nothing while
 * sockets are idle), checked after the poll when the scenario asks for it.
 */
@State(Scope.Benchmark)
public class QueueFixture extends PoolFixture {

    /** The idle sockets; benchmarks {@link #borrow()} from it and {@code offer} back to it. */
    public ArrayBlockingQueue<Socket> idle;
    private boolean validate;

    @Override
    void openPool() {
        validate = shape.healthCheck();
        idle = new ArrayBlockingQueue<>(shape.maxSize());
        for (int i = 0; i < shape.maxSize(); i++) {
            idle.add(connect());
        }
    }

    /**
     * Takes an idle socket, checked if the scenario asks for it.
     *
     * @return the socket, to be offered back to {@link #idle}
     * @throws InterruptedException if interrupted while waiting
     */
    public Socket borrow() throws InterruptedException {
        for (;;) {
            Socket s = got(idle.poll(TIMEOUT_SECONDS, TimeUnit.SECONDS));
            if (!validate || alive(s)) {
                return s;
            }
            closeQuietly(s);
            idle.add(connect());
        }
    }

    @Override
    void closePool() {
        for (Socket s; (s = idle.poll()) != null; ) {
            closeQuietly(s);
        }
    }
}
