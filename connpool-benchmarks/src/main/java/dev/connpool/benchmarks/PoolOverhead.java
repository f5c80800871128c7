package dev.connpool.benchmarks;

import dev.connpool.PooledConnection;
import dev.connpool.benchmarks.pools.CommonsPoolFixture;
import dev.connpool.benchmarks.pools.ConnPoolFixture;
import dev.connpool.benchmarks.pools.HikariBagFixture;
import dev.connpool.benchmarks.pools.QueueFixture;
import dev.connpool.benchmarks.pools.StormpotFixture;
import dev.connpool.benchmarks.pools.ViburFixture;

import java.io.IOException;
import java.net.Socket;
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
 * One get and one release, nothing in between: what the pool itself costs. Each method is written
 * the way an application uses that pool, and consumes the pooled <em>socket</em> (not the lease or
 * the pool's wrapper), so a wrapper that does not escape may be optimized away as in real code.
 *
 * <p>The scenarios ({@link Sequential}, {@link Parallel}, {@link Contended}, {@link HealthChecked})
 * inherit these methods and differ only in threads and {@link PoolShape}, so every pool runs the
 * same loop in the same conditions. Results are the average time of one get+release per thread.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 3, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
public abstract class PoolOverhead {

    /**
     * connpool: {@code get()} in try-with-resources.
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
     * Stormpot: {@code claim(timeout)}, {@code release()}.
     *
     * @param p the pool
     * @param bh sink
     * @throws InterruptedException if interrupted
     */
    @Benchmark
    public void stormpot(StormpotFixture p, Blackhole bh) throws InterruptedException {
        StormpotFixture.PooledSocket s = p.pool.claim(p.timeout);
        try {
            bh.consume(s.socket);
        } finally {
            s.release();
        }
    }

    /**
     * HikariCP's ConcurrentBag: {@code borrow(timeout)}, {@code requite(entry)}.
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
            p.bag.requite(e);
        }
    }

    /**
     * Vibur: {@code tryTake(timeout)}, {@code restore(socket)}.
     *
     * @param p the pool
     * @param bh sink
     */
    @Benchmark
    public void vibur(ViburFixture p, Blackhole bh) {
        Socket s = p.pool.tryTake(ViburFixture.TIMEOUT_SECONDS, TimeUnit.SECONDS);
        try {
            bh.consume(s);
        } finally {
            p.pool.restore(s);
        }
    }

    /**
     * Commons Pool 2: {@code borrowObject()}, {@code returnObject(socket)}.
     *
     * @param p the pool
     * @param bh sink
     * @throws Exception whatever borrowObject throws
     */
    @Benchmark
    public void commonsPool2(CommonsPoolFixture p, Blackhole bh) throws Exception {
        Socket s = p.pool.borrowObject();
        try {
            bh.consume(s);
        } finally {
            p.pool.returnObject(s);
        }
    }

    /**
     * The baseline: {@code poll(timeout)} and {@code offer} on an ArrayBlockingQueue.
     *
     * @param p the queue
     * @param bh sink
     * @throws InterruptedException if interrupted
     */
    @Benchmark
    public void arrayBlockingQueue(QueueFixture p, Blackhole bh) throws InterruptedException {
        Socket s = p.borrow();
        try {
            bh.consume(s);
        } finally {
            p.idle.offer(s);
        }
    }
}
