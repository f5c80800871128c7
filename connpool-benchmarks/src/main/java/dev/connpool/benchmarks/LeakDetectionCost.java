package dev.connpool.benchmarks;

import dev.connpool.PooledConnection;
import dev.connpool.benchmarks.pools.ConnPoolFixture;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * What {@code leakDetectionThreshold} costs (issue 12): connpool's loop of {@link PoolOverhead#connpool}
 * with leak detection on, in the shapes of {@link Sequential} ({@link SequentialLeakDetection}) and
 * {@link Parallel} ({@link ParallelLeakDetection}). With detection on, every get records its stack
 * (a {@code Throwable}), its thread and its time; the threshold is a minute, so no lease of the loop
 * is ever reported and the scan finds nothing. Detection off is {@code Sequential.connpool} and
 * {@code Parallel.connpool} themselves, which must not move from the runs before leak detection
 * existed. Only connpool runs: the peers have no such setting.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 3, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
public abstract class LeakDetectionCost {

    /** The threshold of the scenarios: far above any lease of the loop. */
    public static final long THRESHOLD_MILLIS = 60_000;

    /**
     * connpool: {@code get()} in try-with-resources, with leak detection on.
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
}
