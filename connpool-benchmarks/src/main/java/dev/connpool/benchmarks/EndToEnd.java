package dev.connpool.benchmarks;

import dev.connpool.PooledConnection;
import dev.connpool.benchmarks.pools.CommonsPoolFixture;
import dev.connpool.benchmarks.pools.ConnPoolFixture;
import dev.connpool.benchmarks.pools.HikariBagFixture;
import dev.connpool.benchmarks.pools.NoPoolFixture;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What a request costs end to end: borrow a connection, send one byte to the loopback echo server,
 * read it back, release; against opening a new connection for every request (connect, round trip,
 * close). This is where pooling pays, and it puts the pools' own nanoseconds in proportion.
 * min 5 / max 10, no health check, one thread.
 */
@PoolShape(minSize = 5, maxSize = 10)
@Threads(1)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 3, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
public class EndToEnd {

    /**
     * connpool.
     *
     * @param p the pool
     * @return the echoed byte
     * @throws IOException on an I/O error
     */
    @Benchmark
    public int connpool(ConnPoolFixture p) throws IOException {
        try (PooledConnection c = p.pool.get()) {
            return EchoServer.roundTrip(c.socket());
        }
    }

    /**
     * Stormpot.
     *
     * @param p the pool
     * @return the echoed byte
     * @throws Exception on an I/O error
     */
    @Benchmark
    public int stormpot(StormpotFixture p) throws Exception {
        StormpotFixture.PooledSocket s = p.pool.claim(p.timeout);
        try {
            return EchoServer.roundTrip(s.socket);
        } finally {
            s.release();
        }
    }

    /**
     * HikariCP's ConcurrentBag.
     *
     * @param p the bag
     * @return the echoed byte
     * @throws Exception on an I/O error
     */
    @Benchmark
    public int hikariBag(HikariBagFixture p) throws Exception {
        HikariBagFixture.SocketEntry e = p.borrow();
        try {
            return EchoServer.roundTrip(e.socket);
        } finally {
            p.bag.requite(e);
        }
    }

    /**
     * Vibur.
     *
     * @param p the pool
     * @return the echoed byte
     * @throws IOException on an I/O error
     */
    @Benchmark
    public int vibur(ViburFixture p) throws IOException {
        Socket s = p.pool.tryTake(ViburFixture.TIMEOUT_SECONDS, TimeUnit.SECONDS);
        try {
            return EchoServer.roundTrip(s);
        } finally {
            p.pool.restore(s);
        }
    }

    /**
     * Commons Pool 2.
     *
     * @param p the pool
     * @return the echoed byte
     * @throws Exception on an I/O error
     */
    @Benchmark
    public int commonsPool2(CommonsPoolFixture p) throws Exception {
        Socket s = p.pool.borrowObject();
        try {
            return EchoServer.roundTrip(s);
        } finally {
            p.pool.returnObject(s);
        }
    }

    /**
     * The ArrayBlockingQueue baseline.
     *
     * @param p the queue
     * @return the echoed byte
     * @throws Exception on an I/O error
     */
    @Benchmark
    public int arrayBlockingQueue(QueueFixture p) throws Exception {
        Socket s = p.borrow();
        try {
            return EchoServer.roundTrip(s);
        } finally {
            p.idle.offer(s);
        }
    }

    /**
     * No pool: connect, round trip, close, for every request.
     *
     * @param p the server and socket factory
     * @return the echoed byte
     * @throws IOException on an I/O error
     */
    @Benchmark
    public int newConnection(NoPoolFixture p) throws IOException {
        try (Socket s = p.open()) {
            return EchoServer.roundTrip(s);
        }
    }
}
