package dev.connpool.benchmarks.pools;

import java.net.Socket;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.vibur.objectpool.ConcurrentPool;
import org.vibur.objectpool.PoolObjectFactory;
import org.vibur.objectpool.util.ConcurrentLinkedDequeCollection;

/**
 * Vibur's {@link ConcurrentPool} as Vibur DBCP builds it (a concurrent deque, unfair), with
 * {@code minSize} opened up front and room for {@code maxSize}. With a health check, the liveness
 * check is its {@link PoolObjectFactory#readyToTake} hook, which it calls on every take.
 */
@State(Scope.Benchmark)
public class ViburFixture extends PoolFixture {

    /** The pool; benchmarks call {@code tryTake} and {@code restore} on it. */
    public ConcurrentPool<Socket> pool;

    @Override
    void openPool() {
        boolean validate = shape.healthCheck();
        PoolObjectFactory<Socket> factory = new PoolObjectFactory<>() {
            @Override
            public Socket create() {
                return connect();
            }

            @Override
            public boolean readyToTake(Socket socket) {
                return !validate || alive(socket);
            }

            @Override
            public boolean readyToRestore(Socket socket) {
                return true;
            }

            @Override
            public void destroy(Socket socket) {
                closeQuietly(socket);
            }
        };
        pool = new ConcurrentPool<>(new ConcurrentLinkedDequeCollection<>(), factory,
                shape.minSize(), shape.maxSize(), false);
    }

    @Override
    void closePool() {
        pool.close();
    }
}
