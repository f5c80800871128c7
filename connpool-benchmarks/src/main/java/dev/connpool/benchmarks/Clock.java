package dev.connpool.benchmarks;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A reference point, not a pool: what one {@code System.nanoTime()} costs on this machine (on a
 * VM with kvm-clock, about as much as a whole get/release). It is why connpool's fast path reads a
 * coarse clock instead.
 */
@Threads(1)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 3, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
public class Clock {

    /**
     * One reading of the precise clock.
     *
     * @return the reading
     */
    @Benchmark
    public long systemNanoTime() {
        return System.nanoTime();
    }
}
