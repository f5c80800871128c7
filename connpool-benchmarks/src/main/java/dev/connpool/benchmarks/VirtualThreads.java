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
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The thread-per-request server of JDK 21: 1,000 virtual threads share 10 connections, each get
 * doing the 8-byte echo round trip of {@link Saturated}. How many requests per millisecond all of
 * them get through together (Throughput). The benchmark thread only hands out work to a standing
 * {@link VirtualThreadCrew}, so one invocation is {@value VirtualThreadCrew#REQUESTS} requests and
 * no thread starts are measured. JDK 21+ only: on older JVMs the crew's setup fails, and
 * {@code run.sh} leaves the scenario out. min 10 / max 10, no health check.
 */
@PoolShape(minSize = 10, maxSize = 10)
@Threads(1)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@OperationsPerInvocation(VirtualThreadCrew.REQUESTS)
@Fork(value = 3, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
public class VirtualThreads {

    /**
     * connpool.
     *
     * @param p the pool
     * @param crew the virtual threads
     * @throws Exception on an I/O error in any of them
     */
    @Benchmark
    public void connpool(ConnPoolFixture p, VirtualThreadCrew crew) throws Exception {
        crew.serve(r -> Requests.connpool(p, r));
    }

    /**
     * Stormpot.
     *
     * @param p the pool
     * @param crew the virtual threads
     * @throws Exception on an I/O error in any of them
     */
    @Benchmark
    public void stormpot(StormpotFixture p, VirtualThreadCrew crew) throws Exception {
        crew.serve(r -> Requests.stormpot(p, r));
    }

    /**
     * HikariCP's ConcurrentBag.
     *
     * @param p the bag
     * @param crew the virtual threads
     * @throws Exception on an I/O error in any of them
     */
    @Benchmark
    public void hikariBag(HikariBagFixture p, VirtualThreadCrew crew) throws Exception {
        crew.serve(r -> Requests.hikariBag(p, r));
    }

    /**
     * Vibur.
     *
     * @param p the pool
     * @param crew the virtual threads
     * @throws Exception on an I/O error in any of them
     */
    @Benchmark
    public void vibur(ViburFixture p, VirtualThreadCrew crew) throws Exception {
        crew.serve(r -> Requests.vibur(p, r));
    }

    /**
     * Commons Pool 2.
     *
     * @param p the pool
     * @param crew the virtual threads
     * @throws Exception on an I/O error in any of them
     */
    @Benchmark
    public void commonsPool2(CommonsPoolFixture p, VirtualThreadCrew crew) throws Exception {
        crew.serve(r -> Requests.commonsPool2(p, r));
    }

    /**
     * The ArrayBlockingQueue baseline.
     *
     * @param p the queue
     * @param crew the virtual threads
     * @throws Exception on an I/O error in any of them
     */
    @Benchmark
    public void arrayBlockingQueue(QueueFixture p, VirtualThreadCrew crew) throws Exception {
        crew.serve(r -> Requests.arrayBlockingQueue(p, r));
    }
}
