package dev.connpool.benchmarks;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Threads;

/**
 * Eight threads, two connections: most gets wait for a release, so this measures hand-off, fairness
 * and parking. Both the average and the distribution (SampleTime: p50, p99, p99.9), which shows
 * whether the tail collapses. min 2 / max 2, no health check.
 */
@PoolShape(minSize = 2, maxSize = 2)
@Threads(8)
@BenchmarkMode({Mode.AverageTime, Mode.SampleTime})
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class Contended extends PoolOverhead {
}
