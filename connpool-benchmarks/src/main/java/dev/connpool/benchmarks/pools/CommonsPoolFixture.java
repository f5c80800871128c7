package dev.connpool.benchmarks.pools;

import java.net.Socket;
import java.time.Duration;
import org.apache.commons.pool2.BasePooledObjectFactory;
import org.apache.commons.pool2.PooledObject;
import org.apache.commons.pool2.impl.DefaultPooledObject;
import org.apache.commons.pool2.impl.GenericObjectPool;
import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/**
 * Apache Commons Pool 2's {@link GenericObjectPool}: LIFO, {@code minSize} idle opened up front,
 * at most {@code maxSize}, no evictor, no JMX, no abandoned-object tracking. With a health
 * check, it tests on borrow, its {@code validateObject} running the liveness check.
 */
@State(Scope.Benchmark)
public class CommonsPoolFixture extends PoolFixture {

    /** The pool; benchmarks call {@code borrowObject} and {@code returnObject} on it. */
    public GenericObjectPool<Socket> pool;

    @Override
    void openPool() throws Exception {
        GenericObjectPoolConfig<Socket> config = new GenericObjectPoolConfig<>();
        config.setMaxTotal(shape.maxSize());
        config.setMaxIdle(shape.maxSize());
        config.setMinIdle(shape.minSize());
        config.setLifo(true);
        config.setFairness(false);
        config.setBlockWhenExhausted(true);
        config.setMaxWait(Duration.ofSeconds(TIMEOUT_SECONDS));
        config.setTestOnBorrow(shape.healthCheck());
        config.setTestOnReturn(false);
        config.setTestWhileIdle(false);
        config.setTimeBetweenEvictionRuns(Duration.ofMillis(-1));
        config.setJmxEnabled(false);
        pool = new GenericObjectPool<>(new BasePooledObjectFactory<>() {
            @Override
            public Socket create() throws Exception {
                return sockets.create();
            }

            @Override
            public PooledObject<Socket> wrap(Socket socket) {
                return new DefaultPooledObject<>(socket);
            }

            @Override
            public boolean validateObject(PooledObject<Socket> p) {
                return alive(p.getObject());
            }

            @Override
            public void destroyObject(PooledObject<Socket> p) {
                closeQuietly(p.getObject());
            }
        }, config);
        pool.preparePool();
    }

    @Override
    void closePool() {
        pool.close();
    }
}
