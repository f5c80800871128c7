package dev.connpool;

import static org.assertj.core.api.Assertions.assertThat;

import dev.connpool.testkit.Await;
import dev.connpool.testkit.Certificates;
import dev.connpool.testkit.Echo;
import dev.connpool.testkit.EchoBackendTest;
import dev.connpool.testkit.LineServer;
import dev.connpool.testkit.Threads;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * DESIGN §4 close() at its edges: a forced close that must not wait for a TLS socket's lock, two
 * graceful closes that must tell the same truth, close racing callers, and a TLS pool's life.
 */
class CloseEdgeTest extends EchoBackendTest {

    private static final Duration BOUND = Duration.ofSeconds(5);

    private static Certificates certificates;

    @BeforeAll
    static void certificates() throws Exception {
        certificates = Certificates.selfSigned("localhost");
    }

    private static ConnectionFactory tls(LineServer server) throws Exception {
        return ConnectionFactory.tls("localhost", server.port(), BOUND, certificates.clientContext());
    }

    /**
     * A forced close must not go through {@code SSLSocket.close()}, which takes the lock a writer
     * blocked on a full send buffer holds (JDK 17 and 25), and sends a close_notify that cannot be
     * written either: close(grace) would never return.
     */
    @Test
    void aForcedCloseUnblocksATlsWriterStuckOnAFullSendBuffer() throws Exception {
        CountDownLatch readAgain = new CountDownLatch(1);
        // the server reads the first line, then stops reading until the test lets it
        UnaryOperator<String> stopReading = line -> {
            try {
                readAgain.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return null;
        };
        try (LineServer tlsServer = LineServer.tls(certificates.serverContext(), stopReading)) {
            ConnPool pool = ConnPool.create("tls-forced", ConnPoolConfig.builder().maxSize(1)
                    .healthCheck(HealthCheck.liveness()).evictInterval(Duration.ZERO).build(), tls(tlsServer));
            AtomicLong written = new AtomicLong();
            AtomicBoolean stop = new AtomicBoolean();
            CompletableFuture<Throwable> writerEnd = new CompletableFuture<>();
            Thread writer = new Thread(() -> {
                try (PooledConnection c = pool.get(BOUND)) {
                    OutputStream out = c.getOutputStream();
                    out.write("x\n".getBytes(StandardCharsets.US_ASCII));
                    byte[] chunk = new byte[64 * 1024];
                    while (!stop.get()) {
                        out.write(chunk);
                        written.addAndGet(chunk.length);
                    }
                    writerEnd.complete(null);
                } catch (Throwable t) {
                    writerEnd.complete(t);
                }
            }, "tls-writer");
            writer.start();
            Thread closer = null;
            try {
                awaitStalled(written);
                CompletableFuture<Boolean> closed = new CompletableFuture<>();
                closer = new Thread(() -> closed.complete(pool.close(Duration.ofMillis(200))), "closer");
                long t0 = System.nanoTime();
                closer.start();
                Boolean allBack = getWithin(closed, BOUND,
                        () -> "close(200 ms) did not return within " + BOUND.toMillis()
                                + " ms: the forced close of a TLS socket waits for the lock its blocked writer holds");
                assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(Duration.ofMillis(200));
                assertThat(allBack).as("a connection was forced closed").isFalse();
                Throwable writerFailure = getWithin(writerEnd, BOUND,
                        () -> "the blocked writer was not unblocked by the forced close");
                assertThat(writerFailure).as("the writer's write failed").isInstanceOf(IOException.class);
            } finally {
                stop.set(true);
                readAgain.countDown(); // lets a hung close (and the writer) finish, so nothing is left behind
                Threads.join(writer, BOUND);
                if (closer != null) {
                    Threads.join(closer, BOUND);
                }
                pool.close();
            }
            tlsServer.awaitOpen(0, BOUND);
            PoolStats s = pool.stats();
            assertThat(s.closed()).as("%s", s).isEqualTo(s.created());
        }
    }

    /** Waits until a writer's count stops growing: its write blocks on a full send buffer. */
    private static void awaitStalled(AtomicLong written) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        long last = -1;
        while (true) {
            long now = written.get();
            if (now > 0 && now == last) {
                return;
            }
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("the writer never blocked; wrote " + now + " bytes");
            }
            last = now;
            GetTest.pause(Duration.ofMillis(250)); // the window in which a running writer would have written more
        }
    }

    private static <T> T getWithin(CompletableFuture<T> f, Duration bound, Supplier<String> what) throws Exception {
        try {
            return f.get(bound.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError(what.get());
        }
    }

    @Test
    void aConcurrentCloseWithGraceEndsWithTheFirstAndTellsTheSameTruth() throws Exception {
        ConnPool pool = ConnPool.create("two-closes", ConnPoolConfig.builder().maxSize(2).build(), tcp());
        PooledConnection kept = pool.get(); // never comes back
        pool.get().close(); // and one idle
        CompletableFuture<Boolean> first = new CompletableFuture<>();
        CompletableFuture<Boolean> second = new CompletableFuture<>();
        Thread a = new Thread(() -> first.complete(pool.close(Duration.ofMillis(500))), "close-a");
        Thread b = new Thread(() -> second.complete(pool.close(Duration.ofSeconds(8))), "close-b");
        a.start();
        Await.until(pool::isClosed, BOUND, "closing begun");
        b.start();
        try {
            assertThat(first.get(BOUND.toMillis(), TimeUnit.MILLISECONDS)).as("first close: one forced").isFalse();
            long firstDone = System.nanoTime();
            Boolean secondResult = getWithin(second, Duration.ofSeconds(3),
                    () -> "the second close(8 s) still waits 3 s after the first forced the last connection closed"
                            + " (a missed wake-up); pool: " + pool.stats());
            assertThat(Duration.ofNanos(System.nanoTime() - firstDone)).isLessThan(Duration.ofSeconds(3));
            assertThat(secondResult).as("second close: a connection was forced, as the first said").isFalse();
        } finally {
            Threads.join(a, BOUND);
            Threads.join(b, Duration.ofSeconds(15));
        }
        Socket forced = kept.socket();
        Await.until(forced::isClosed, BOUND, "the lent connection forced closed");
        kept.close();
        server.awaitOpen(0, BOUND);
    }

    @Test
    void aCloseWithGraceAfterAForcedCloseReportsTheForcedConnection() throws Exception {
        ConnPool pool = ConnPool.create("closes-in-turn", ConnPoolConfig.builder().maxSize(2).build(), tcp());
        PooledConnection kept = pool.get();
        assertThat(pool.close(Duration.ZERO)).as("first close: one forced").isFalse();
        long t0 = System.nanoTime();
        assertThat(pool.close(Duration.ofSeconds(5))).as("a later close(grace) tells the same truth").isFalse();
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("nothing left to wait for")
                .isLessThan(Duration.ofSeconds(2));
        pool.close();
        kept.close();
        server.awaitOpen(0, BOUND);
    }

    @Test
    void aCloseWithGraceAfterEverythingCameBackReportsTrueAgain() throws Exception {
        ConnPool pool = ConnPool.create("all-back-twice", ConnPoolConfig.builder().maxSize(2).build(), tcp());
        pool.get().close();
        assertThat(pool.close(Duration.ofSeconds(1))).isTrue();
        assertThat(pool.close(Duration.ofSeconds(1))).isTrue();
        server.awaitOpen(0, BOUND);
    }

    @Test
    void closeRacingGetsAndReturnsOnlyEverThrowsPoolClosedException() throws Exception {
        int threads = 8;
        ConnPool pool = ConnPool.create("close-race", ConnPoolConfig.builder().minSize(1).maxSize(4)
                .healthCheck(HealthCheck.liveness()).evictInterval(Duration.ofMillis(5)).build(), tcp());
        List<Throwable> unexpected = new CopyOnWriteArrayList<>();
        CountDownLatch busy = new CountDownLatch(threads);
        AtomicLong served = new AtomicLong();
        Thread[] workers = new Thread[threads];
        for (int i = 0; i < threads; i++) {
            workers[i] = new Thread(() -> {
                boolean counted = false;
                while (true) {
                    try (PooledConnection c = pool.get(BOUND)) {
                        Echo.roundTrip(c);
                        served.incrementAndGet();
                    } catch (PoolClosedException expected) {
                        break;
                    } catch (Throwable t) {
                        unexpected.add(t);
                        break;
                    }
                    if (!counted) {
                        counted = true;
                        busy.countDown();
                    }
                }
                if (!counted) {
                    busy.countDown();
                }
            }, "racer-" + i);
            workers[i].start();
        }
        assertThat(busy.await(BOUND.toMillis(), TimeUnit.MILLISECONDS)).as("every racer got a connection").isTrue();
        pool.close();
        for (Thread t : workers) {
            Threads.join(t, BOUND);
        }
        assertThat(unexpected).as("anything but PoolClosedException").isEmpty();
        assertThat(served.get()).isGreaterThanOrEqualTo(threads);
        server.awaitOpen(0, BOUND);
        PoolStats s = pool.stats();
        assertThat(s.size()).as("%s", s).isZero();
        assertThat(s.closed()).as("%s", s).isEqualTo(s.created());
        assertThat(server.maxOpen()).isLessThanOrEqualTo(4);
    }

    @Test
    void aTlsPoolLendsChecksReturnsAndClosesItsConnections() throws Exception {
        try (LineServer tlsServer = LineServer.tls(certificates.serverContext(), LineServer.ECHO)) {
            ConnPool pool = ConnPool.create("tls-life", ConnPoolConfig.builder().minSize(1).maxSize(2)
                    .healthCheck(HealthCheck.liveness()).evictInterval(Duration.ofMillis(20)).build(), tls(tlsServer));
            Socket first;
            try (PooledConnection c = pool.get(BOUND)) {
                first = c.socket();
                Echo.roundTrip(c);
            }
            tlsServer.connection(0, BOUND).awaitHandshake(BOUND);
            // the session ticket a TLS 1.3 server sends after the handshake is no unread data
            for (int i = 0; i < 20; i++) {
                try (PooledConnection c = pool.get(BOUND); PooledConnection other = pool.get(BOUND)) {
                    Echo.roundTrip(c);
                    Echo.roundTrip(other);
                    assertThat(c.socket()).isSameAs(first);
                }
            }
            PoolStats s = pool.stats();
            assertThat(s.pingFailed()).as("%s", s).isZero();
            assertThat(s.created()).as("%s", s).isEqualTo(2);
            PooledConnection lent = pool.get(BOUND);
            pool.close();
            tlsServer.awaitOpen(1, BOUND); // the idle one closed at once, the lent one still open
            Echo.roundTrip(lent);
            lent.close();
            tlsServer.awaitOpen(0, BOUND);
            PoolStats end = pool.stats();
            assertThat(end.closed()).as("%s", end).isEqualTo(end.created());
            assertThat(end.shutdownClosed()).as("%s", end).isEqualTo(2);
        }
    }
}
