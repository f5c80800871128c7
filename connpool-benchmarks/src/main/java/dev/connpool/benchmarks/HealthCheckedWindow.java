package dev.connpool.benchmarks;

import dev.connpool.PooledConnection;
import dev.connpool.benchmarks.pools.ConnPoolFixture;
import dev.connpool.benchmarks.pools.HikariBagFixture;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * {@link HealthChecked} with connpool's check window: {@code healthCheckAfterIdle(500 ms)}
 * (DESIGN §7.1, HikariCP's 500 ms alive bypass), so a get checks a connection only when it has been
 * idle for 500 ms. One thread getting and releasing again and again keeps the same connection hot
 * (LIFO), idle for nanoseconds, so no get should pay the check's system calls: compare with the
 * unchecked get of {@link Sequential} (same shape, same loop). Beside connpool, HikariCP's bag with
 * HikariPool's own bypass (two {@code System.nanoTime()} reads per get + release); the other peers'
 * hooks check every borrow, which {@link HealthChecked} already measures. min 5 / max 10, liveness.
 */
@PoolShape(minSize = 5, maxSize = 10, healthCheck = true, healthCheckAfterIdleMillis = 500)
@Threads(1)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 3, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
public class HealthCheckedWindow {

    /**
     * connpool: {@code get()} in try-with-resources, the loop of {@link PoolOverhead#connpool}.
     *
     * @param p the pool
     * @param bh sink
     * @throws IOException if no connection can be had
     */
    @Benchmark
    public void connpool(ConnPoolFixture p, Blackhole bh) throws IOException {
        try (PooledConnection c = p.pool.get()) {
            bh.consume(c.socket());
        }
    }

    /**
     * HikariCP's ConcurrentBag, checked as HikariPool checks: not within 500 ms of the last use.
     *
     * @param p the bag
     * @param bh sink
     * @throws InterruptedException if interrupted
     */
    @Benchmark
    public void hikariBag(HikariBagFixture p, Blackhole bh) throws InterruptedException {
        HikariBagFixture.SocketEntry e = p.borrow();
        try {
            bh.consume(e.socket);
        } finally {
            p.giveBack(e);
        }
    }
}
