package dev.connpool.benchmarks;

import dev.connpool.benchmarks.pools.CommonsPoolFixture;
import dev.connpool.benchmarks.pools.ConnPoolFixture;
import dev.connpool.benchmarks.pools.HikariBagFixture;
import dev.connpool.benchmarks.pools.QueueFixture;
import dev.connpool.benchmarks.pools.StormpotFixture;
import dev.connpool.benchmarks.pools.ViburFixture;

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
 * A saturated service: 16 threads share 4 connections, and each get does real work with the
 * connection, one 8-byte echo round trip over loopback ({@link Request}), before giving it back.
 * Unlike {@link Contended}, a connection is held for a round trip's time (tens of microseconds),
 * so waiting is the normal case and the question is the one DESIGN §7.2 asks: how many requests
 * per millisecond the service gets through (Throughput, all threads together) and how long the
 * unluckiest ones wait (SampleTime: p50, p99, p99.9, max of one request, borrow to return).
 * min 4 / max 4, no health check.
 */
@PoolShape(minSize = 4, maxSize = 4)
@Threads(16)
@BenchmarkMode({Mode.Throughput, Mode.SampleTime})
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 3, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
public class Saturated {

    /**
     * connpool.
     *
     * @param p the pool
     * @param r this thread's request
     * @throws Exception on an I/O error
     */
    @Benchmark
    public void connpool(ConnPoolFixture p, Request r) throws Exception {
        Requests.connpool(p, r);
    }

    /**
     * Stormpot.
     *
     * @param p the pool
     * @param r this thread's request
     * @throws Exception on an I/O error
     */
    @Benchmark
    public void stormpot(StormpotFixture p, Request r) throws Exception {
        Requests.stormpot(p, r);
    }

    /**
     * HikariCP's ConcurrentBag.
     *
     * @param p the bag
     * @param r this thread's request
     * @throws Exception on an I/O error
     */
    @Benchmark
    public void hikariBag(HikariBagFixture p, Request r) throws Exception {
        Requests.hikariBag(p, r);
    }

    /**
     * Vibur.
     *
     * @param p the pool
     * @param r this thread's request
     * @throws Exception on an I/O error
     */
    @Benchmark
    public void vibur(ViburFixture p, Request r) throws Exception {
        Requests.vibur(p, r);
    }

    /**
     * Commons Pool 2.
     *
     * @param p the pool
     * @param r this thread's request
     * @throws Exception on an I/O error
     */
    @Benchmark
    public void commonsPool2(CommonsPoolFixture p, Request r) throws Exception {
        Requests.commonsPool2(p, r);
    }

    /**
     * The ArrayBlockingQueue baseline.
     *
     * @param p the queue
     * @param r this thread's request
     * @throws Exception on an I/O error
     */
    @Benchmark
    public void arrayBlockingQueue(QueueFixture p, Request r) throws Exception {
        Requests.arrayBlockingQueue(p, r);
    }
}
