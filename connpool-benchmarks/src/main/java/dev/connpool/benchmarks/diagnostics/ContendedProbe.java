package dev.connpool.benchmarks.diagnostics;

import dev.connpool.ConnPool;
import dev.connpool.ConnectionFactory;
import dev.connpool.PoolStats;
import dev.connpool.PooledConnection;
import dev.connpool.benchmarks.EchoServer;
import dev.connpool.benchmarks.pools.ConnPoolFixture;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * The contended scenario outside JMH (8 threads, 2 connections), with what JMH does not show: how
 * many gets had to wait and for how long (connpool's {@link PoolStats}), and how many context
 * switches each get + release cost the process (Linux, from {@code /proc/self/task/}), against
 * the {@code ArrayBlockingQueue} baseline.
 *
 * <pre>java -cp connpool-benchmarks/target/benchmarks.jar dev.connpool.benchmarks.diagnostics.ContendedProbe</pre>
 */
public final class ContendedProbe {

    private static final int THREADS = 8;
    private static final long WARMUP_MILLIS = 2_000;
    private static final long MEASURE_MILLIS = 3_000;

    private ContendedProbe() {
    }

    /** One get + release. */
    interface Cycle {
        void run() throws Exception;
    }

    /**
     * Prints the probe's findings.
     *
     * @param args none
     * @throws Exception if the loopback server or a pool cannot be set up
     */
    public static void main(String[] args) throws Exception {
        try (EchoServer server = EchoServer.start()) {
            ConnectionFactory sockets = ConnectionFactory.tcp(server.host(), server.port(), Duration.ofSeconds(5));
            try (ConnPool pool = ConnPool.create("contended", ConnPoolFixture.production(2, 2).build(), sockets)) {
                Cycle cycle = () -> {
                    try (PooledConnection c = pool.get()) {
                        if (c.socket() == null) {
                            throw new AssertionError();
                        }
                    }
                };
                run("connpool", cycle, THREADS, WARMUP_MILLIS);
                PoolStats before = pool.stats();
                long ops = run("connpool", cycle, THREADS, MEASURE_MILLIS);
                PoolStats after = pool.stats();
                long gets = after.requests() - before.requests();
                long waited = after.waitCount() - before.waitCount();
                long waitNanos = after.waitTime().minus(before.waitTime()).toNanos();
                System.out.printf("%-20s %.1f%% of %,d gets waited, %.1f µs on average%n", "",
                        100.0 * waited / gets, gets, waitNanos / 1e3 / Math.max(1, waited));
                if (ops == 0) {
                    throw new IllegalStateException("no operation completed");
                }
            }
            ArrayBlockingQueue<Socket> idle = new ArrayBlockingQueue<>(2);
            idle.add(sockets.create());
            idle.add(sockets.create());
            Cycle cycle = () -> {
                Socket s = idle.poll(30, TimeUnit.SECONDS);
                idle.offer(s);
            };
            run("ArrayBlockingQueue", cycle, THREADS, WARMUP_MILLIS);
            run("ArrayBlockingQueue", cycle, THREADS, MEASURE_MILLIS);
            for (Socket s : idle) {
                s.close();
            }
        }
    }

    private static long run(String label, Cycle cycle, int threads, long millis) throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        LongAdder ops = new LongAdder();
        Thread[] workers = new Thread[threads];
        for (int i = 0; i < threads; i++) {
            workers[i] = new Thread(() -> {
                long n = 0;
                try {
                    while (!stop.get()) {
                        cycle.run();
                        n++;
                    }
                } catch (Exception e) {
                    e.printStackTrace();
                }
                ops.add(n);
            }, "probe-" + i);
        }
        long switches0 = contextSwitches();
        long t0 = System.nanoTime();
        for (Thread t : workers) {
            t.start();
        }
        Thread.sleep(millis);
        long switches1 = contextSwitches(); // while the workers still live: their counts go with them
        stop.set(true);
        for (Thread t : workers) {
            t.join();
        }
        long elapsed = System.nanoTime() - t0;
        long n = ops.sum();
        if (millis >= MEASURE_MILLIS) {
            System.out.printf("%-20s %,12d get+release in %d ms: %,9.0f ns per op per thread, %.3f context switches per op%n",
                    label, n, elapsed / 1_000_000, elapsed * (double) threads / n, (switches1 - switches0) / (double) n);
        }
        return n;
    }

    /** Voluntary and involuntary context switches of every live thread of this process. */
    private static long contextSwitches() throws IOException {
        long sum = 0;
        Path tasks = Path.of("/proc/self/task");
        if (!Files.isDirectory(tasks)) {
            return 0;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(tasks)) {
            for (Path t : ds) {
                try {
                    for (String line : Files.readAllLines(t.resolve("status"))) {
                        if (line.startsWith("voluntary_ctxt_switches") || line.startsWith("nonvoluntary_ctxt_switches")) {
                            sum += Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
                        }
                    }
                } catch (IOException | RuntimeException e) {
                    // the thread ended meanwhile
                }
            }
        }
        return sum;
    }
}
