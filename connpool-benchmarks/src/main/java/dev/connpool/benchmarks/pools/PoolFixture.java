package dev.connpool.benchmarks.pools;

import dev.connpool.ConnectionFactory;
import dev.connpool.HealthCheck;
import dev.connpool.benchmarks.EchoServer;
import dev.connpool.benchmarks.PoolShape;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * One pool under test and the loopback echo server it connects to, for one trial (one JMH fork).
 * Subclasses build their pool from the {@link PoolShape} of the running benchmark's class, and
 * all of them open their sockets with the same {@link ConnectionFactory#tcp}, so every pool lends
 * the same kind of socket from the same kind of server.
 */
public abstract class PoolFixture {

    /** How long any borrow may wait: the same bound for every pool, never reached in a healthy run. */
    public static final long TIMEOUT_SECONDS = 30;
    /** The same, for APIs that take milliseconds. */
    static final long TIMEOUT_MILLIS = TimeUnit.SECONDS.toMillis(TIMEOUT_SECONDS);
    /** The health check that connpool runs, and the peers run in their validation hooks. */
    static final HealthCheck LIVENESS = HealthCheck.liveness();

    private EchoServer server;
    /** Opens a connected loopback socket, as connpool's own factory does. */
    ConnectionFactory sockets;
    /** What the running scenario asks for. */
    PoolShape shape;

    /**
     * Starts the echo server and opens the pool.
     *
     * @param params tells which benchmark runs, hence its {@link PoolShape}
     * @throws Exception if the pool cannot be opened
     */
    @Setup(Level.Trial)
    public void open(BenchmarkParams params) throws Exception {
        shape = shapeOf(params.getBenchmark());
        server = EchoServer.start();
        sockets = ConnectionFactory.tcp(server.host(), server.port(), Duration.ofSeconds(5));
        openPool();
    }

    /**
     * Closes the pool and the server.
     *
     * @throws Exception if closing the pool fails
     */
    @TearDown(Level.Trial)
    public void close() throws Exception {
        try {
            closePool();
        } finally {
            server.close();
        }
    }

    /**
     * Builds the pool from {@link #shape} and {@link #sockets}, with its connections open.
     *
     * @throws Exception if it cannot
     */
    abstract void openPool() throws Exception;

    /**
     * Closes the pool and its connections.
     *
     * @throws Exception if it cannot
     */
    abstract void closePool() throws Exception;

    /** A new loopback connection, for pools whose factory hooks cannot throw IOException. */
    final Socket connect() {
        try {
            return sockets.create();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The liveness check as a predicate, for validation hooks that answer true or false. */
    static boolean alive(Socket socket) {
        try {
            LIVENESS.check(socket);
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // closing a benchmark connection: nothing to do about it
        }
    }

    /** Fails a borrow that timed out, which a healthy run never sees. */
    static <T> T got(T borrowed) {
        if (borrowed == null) {
            throw new IllegalStateException("no connection within " + TIMEOUT_SECONDS + " s");
        }
        return borrowed;
    }

    private static PoolShape shapeOf(String benchmark) throws ClassNotFoundException {
        // "dev.connpool.benchmarks.Sequential.connpool": the class is all but the method name
        String className = benchmark.substring(0, benchmark.lastIndexOf('.'));
        Class<?> scenario = Class.forName(className);
        PoolShape shape = scenario.getAnnotation(PoolShape.class);
        if (shape == null) {
            throw new IllegalStateException(className + " has no @PoolShape");
        }
        return shape;
    }
}
