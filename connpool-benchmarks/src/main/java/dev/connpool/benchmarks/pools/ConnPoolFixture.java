package dev.connpool.benchmarks.pools;

import dev.connpool.ConnPool;
import dev.connpool.ConnPoolConfig;
import dev.connpool.HealthCheck;

import java.time.Duration;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/**
 * connpool with production settings: idle timeout 30 s and max lifetime 5 min on, the evictor at
 * its default 30 s, and either no health check or {@link HealthCheck#liveness()} on every get
 * (or, with {@link dev.connpool.benchmarks.PoolShape#healthCheckAfterIdleMillis()}, on a get of a
 * connection idle at least that long), and leak detection as the shape says (off by default).
 */
@State(Scope.Benchmark)
public class ConnPoolFixture extends PoolFixture {

    /** The pool; benchmarks call {@code pool.get()} on it directly, as an application would. */
    public ConnPool pool;

    @Override
    void openPool() throws Exception {
        ConnPoolConfig config = production(shape.minSize(), shape.maxSize())
                .healthCheck(shape.healthCheck() ? HealthCheck.liveness() : HealthCheck.none())
                .healthCheckAfterIdle(Duration.ofMillis(shape.healthCheckAfterIdleMillis()))
                .leakDetectionThreshold(Duration.ofMillis(shape.leakDetectionMillis()))
                .acquireTimeout(Duration.ofSeconds(TIMEOUT_SECONDS))
                .build();
        pool = ConnPool.create("benchmark", config, sockets);
    }

    /**
     * connpool as the benchmarks run it: production settings (idle timeout 30 s, max lifetime
     * 5 min), no health check. The diagnostics start from here too, so they measure the same pool.
     *
     * @param minSize the pool's min size
     * @param maxSize the pool's max size
     * @return a builder, for the caller to adjust
     */
    public static ConnPoolConfig.Builder production(int minSize, int maxSize) {
        return ConnPoolConfig.builder()
                .minSize(minSize)
                .maxSize(maxSize)
                .idleTimeout(Duration.ofSeconds(30))
                .maxLifetime(Duration.ofMinutes(5))
                .healthCheck(HealthCheck.none());
    }

    @Override
    void closePool() {
        pool.close();
    }
}
