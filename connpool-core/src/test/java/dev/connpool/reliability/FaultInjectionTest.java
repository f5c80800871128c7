package dev.connpool.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.connpool.ConnPool;
import dev.connpool.ConnPoolConfig;
import dev.connpool.HealthCheck;
import dev.connpool.PoolStats;
import dev.connpool.PooledConnection;
import dev.connpool.testkit.Await;
import dev.connpool.testkit.Echo;
import dev.connpool.testkit.FaultProxy;
import dev.connpool.testkit.ProxiedEchoTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.IntPredicate;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The backend kills idle connections behind the pool's back (RST, FIN, bytes nobody asked for):
 * with {@link HealthCheck#liveness()} on, no {@code get} may hand out one of them, whether it
 * takes the thread's hinted connection, an idle one from the stack, or the evictor finds them first;
 * each is closed and counted under {@code HEALTH}, and the pool is whole again afterwards.
 */
@Timeout(60)
class FaultInjectionTest extends ProxiedEchoTest {

    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

    /** A fault that kills the connections the proxy holds, chosen by their client's port. */
    enum Fault {
        RST {
            @Override
            Set<Integer> inject(FaultProxy proxy, IntPredicate clientPort) {
                return proxy.reset(clientPort);
            }

            @Override
            boolean delivered(int tcpState, long rxQueue) {
                return tcpState != ESTABLISHED; // a reset socket leaves the table (or is closing)
            }
        },
        FIN {
            @Override
            Set<Integer> inject(FaultProxy proxy, IntPredicate clientPort) {
                return proxy.halfClose(clientPort);
            }

            @Override
            boolean delivered(int tcpState, long rxQueue) {
                return tcpState != ESTABLISHED; // CLOSE_WAIT once the FIN arrived
            }
        },
        UNREAD_BYTES {
            @Override
            Set<Integer> inject(FaultProxy proxy, IntPredicate clientPort) {
                return proxy.sendTo(clientPort, "-ERR out of step\r\n".getBytes(StandardCharsets.US_ASCII));
            }

            @Override
            boolean delivered(int tcpState, long rxQueue) {
                // bytes queued, or no longer established: the pool saw them (read them in its check) and
                // closed the socket
                return rxQueue > 0 || tcpState != ESTABLISHED;
            }
        };

        static final int ESTABLISHED = 1;

        /** Injects the fault into the chosen connections; returns the client ports of those it hit. */
        abstract Set<Integer> inject(FaultProxy proxy, IntPredicate clientPort);

        /** Whether a client socket in this kernel state has received the fault. */
        abstract boolean delivered(int tcpState, long rxQueue);
    }

    /**
     * Injects the fault into every connection open now (the pool's), then makes sure the pool's
     * sockets have received it before the test goes on: a witness connection of the test's own is
     * opened afterwards and hit by the same fault, and once the witness has seen it, so have the
     * pool's sockets, whose segments went out before on the same loopback path.
     *
     * <p>Only the connections open at the first injection are hit, and only they are waited for:
     * with its evictor on, the pool may find the dead ones, close them and open new ones at any
     * moment from the first injection on (a test thread that a loaded machine leaves waiting for
     * longer than an evict interval sees it happen). Hitting "every connection" a second time for
     * the witness, or waiting for "every client socket" to show the fault, would also hit or wait
     * for those new, healthy connections (the [RST] flake at load 12 to 28).
     */
    private void injectAndAwait(Fault fault) throws IOException {
        int openBefore = proxy.open();
        Set<Integer> hit = fault.inject(proxy, any -> true);
        assertThat(hit).as("the fault hit every connection the pool had open").hasSize(openBefore);
        awaitDelivered(fault, hit);
        int witnessPort;
        try (Socket witness = new Socket()) {
            witness.connect(new InetSocketAddress(proxy.host(), proxy.port()), 5_000);
            witnessPort = witness.getLocalPort();
            Await.until(() -> proxy.clientPorts().contains(witnessPort), Duration.ofSeconds(5),
                    () -> "the proxy accepted the witness: " + proxy);
            assertThat(fault.inject(proxy, port -> port == witnessPort)).containsExactly(witnessPort);
            witness.setSoTimeout(5_000);
            try {
                witness.getInputStream().read(); // end of stream, a byte, or a reset: the fault arrived
            } catch (SocketException reset) {
                // the fault arrived
            }
        }
        if (fault != Fault.RST) {
            // FIN and unread bytes leave the pool's connections open on the proxy's side; wait for the
            // witness's close to reach the proxy, so that later counts are exact
            Await.until(() -> !proxy.clientPorts().contains(witnessPort) && proxy.open() == openBefore,
                    Duration.ofSeconds(5), () -> "the witness's close reached the proxy: " + proxy);
        }
    }

    /**
     * On Linux, also waits until the kernel shows the fault delivered to every client socket it hit
     * (the pool's, by their local ports): loopback may process the segments of different CPUs out
     * of order, so the witness alone is not proof. A socket gone from the table has received it
     * too (an RST, or the pool closed it).
     */
    private void awaitDelivered(Fault fault, Set<Integer> clientPorts) throws IOException {
        Path table = Path.of("/proc/net/tcp");
        if (!Files.isReadable(table)) {
            return;
        }
        String proxyPort = String.format(":%04X", proxy.port());
        Set<String> hit = clientPorts.stream().map(p -> String.format(":%04X", p)).collect(Collectors.toSet());
        Await.until(() -> {
            try {
                for (String line : Files.readAllLines(table)) {
                    String[] f = line.trim().split("\\s+");
                    // a client side the fault hit: remote is the proxy, local is one of its ports
                    if (f.length > 4 && f[2].endsWith(proxyPort) && hit.contains(f[1].substring(f[1].indexOf(':')))) {
                        int state = Integer.parseInt(f[3], 16);
                        long rxQueue = Long.parseLong(f[4].substring(f[4].indexOf(':') + 1), 16);
                        if (!fault.delivered(state, rxQueue)) {
                            return false;
                        }
                    }
                }
                return true;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, Duration.ofSeconds(5), () -> fault + " not delivered to every client socket of port " + proxy.port()
                + " it hit: " + clientPorts);
    }

    @ParameterizedTest
    @EnumSource(Fault.class)
    void getNeverLendsAConnectionTheBackendKilled(Fault fault) throws Exception {
        ConnPoolConfig config = ConnPoolConfig.builder().minSize(4).maxSize(4)
                .evictInterval(Duration.ZERO) // only get's checks stand between a dead socket and a caller
                .healthCheck(HealthCheck.liveness()).build();
        try (ConnPool pool = ConnPool.create("killed-" + fault, config, viaProxy(CONNECT_TIMEOUT))) {
            proxy.awaitOpen(4, Duration.ofSeconds(5));
            // lend all four and give them back, so this thread also has a hinted connection (fast path)
            Echo.assertFullyUsable(pool);

            injectAndAwait(fault);

            for (int i = 0; i < 8; i++) {
                try (PooledConnection c = pool.get(Duration.ofSeconds(2))) {
                    Echo.roundTrip(c); // a dead connection fails here: RST, end of stream or wrong bytes
                }
            }
            PoolStats s = pool.stats();
            assertThat(s.pingFailed()).as("dead idle connections closed as HEALTH: %s", s).isEqualTo(4);
            assertThat(s.closed()).isEqualTo(s.created() - s.size());

            Echo.assertFullyUsable(pool);
            s = pool.stats();
            assertThat(s.created()).as("4 replaced, 4 new: %s", s).isEqualTo(8);
            assertThat(s.pingFailed()).isEqualTo(4);
            // the 4 dead ones closed (by the proxy for RST, by the pool for FIN and unread bytes), 4 new
            Await.until(() -> proxy.accepted() == 4 + 1 + 4 && proxy.open() == 4, Duration.ofSeconds(5),
                    () -> "proxy: 4 first, the witness, 4 new: " + proxy);
        }
        proxy.awaitOpen(0, Duration.ofSeconds(5));
        backend.awaitOpen(0, Duration.ofSeconds(5));
    }

    @ParameterizedTest
    @EnumSource(Fault.class)
    void evictorClosesConnectionsTheBackendKilledAndRefills(Fault fault) throws Exception {
        ConnPoolConfig config = ConnPoolConfig.builder().minSize(3).maxSize(5)
                .evictInterval(Duration.ofMillis(100)).healthCheck(HealthCheck.liveness()).build();
        try (ConnPool pool = ConnPool.create("evict-" + fault, config, viaProxy(CONNECT_TIMEOUT))) {
            proxy.awaitOpen(3, Duration.ofSeconds(5));

            injectAndAwait(fault);

            // no get at all: the evictor alone finds the dead ones, closes them and reopens minSize
            Await.until(() -> pool.stats().pingFailed() == 3 && pool.stats().size() == 3
                    && pool.stats().connecting() == 0, Duration.ofSeconds(5), () -> "evictor: " + pool.stats());
            // the proxy sees the 3 new ones (and no more) once it accepted them and its readers got to
            // the closes of the 3 dead ones
            Await.until(() -> proxy.accepted() == 7 && proxy.open() == 3, Duration.ofSeconds(5),
                    () -> "proxy: 3 first, the witness, 3 new: " + proxy);
            PoolStats s = pool.stats();
            assertThat(s.created()).isEqualTo(6);
            assertThat(s.closed()).isEqualTo(s.created() - s.size());
            Echo.assertFullyUsable(pool);
        }
        proxy.awaitOpen(0, Duration.ofSeconds(5));
    }

    @Test
    void connectionsDyingWhileLentAreNotLentAgainOnceMarkedUnusable() throws Exception {
        ConnPoolConfig config = ConnPoolConfig.builder().minSize(2).maxSize(2).evictInterval(Duration.ZERO)
                .healthCheck(HealthCheck.none()) // nothing but markUnusable protects the next caller
                .build();
        try (ConnPool pool = ConnPool.create("lent-rst", config, viaProxy(CONNECT_TIMEOUT))) {
            proxy.awaitOpen(2, Duration.ofSeconds(5));
            PooledConnection a = pool.get(Duration.ofSeconds(1));
            PooledConnection b = pool.get(Duration.ofSeconds(1));
            proxy.resetAll();
            for (PooledConnection c : List.of(a, b)) {
                try {
                    Echo.roundTrip(c);
                    throw new AssertionError("a reset connection worked");
                } catch (IOException expected) {
                    c.markUnusable();
                } finally {
                    c.close();
                }
            }
            assertThat(pool.stats().unusableClosed()).isEqualTo(2);
            assertThat(pool.stats().size()).isZero();
            Echo.assertFullyUsable(pool);
        }
    }

    @Test
    void blackholedBackendHealthChecksAreBoundedByTheirTimeout() throws Exception {
        Duration checkTimeout = Duration.ofMillis(300);
        List<Long> checkMillis = new CopyOnWriteArrayList<>();
        HealthCheck ping = HealthCheck.requestResponse("PING\r\n".getBytes(StandardCharsets.US_ASCII),
                "PING".getBytes(StandardCharsets.US_ASCII), checkTimeout);
        HealthCheck timed = socket -> {
            long t0 = System.nanoTime();
            try {
                ping.check(socket);
            } finally {
                checkMillis.add((System.nanoTime() - t0) / 1_000_000);
            }
        };
        ConnPoolConfig config = ConnPoolConfig.builder().minSize(2).maxSize(2).evictInterval(Duration.ZERO)
                .healthCheck(timed).build();
        try (ConnPool pool = ConnPool.create("blackhole-checks", config, viaProxy(CONNECT_TIMEOUT))) {
            proxy.awaitOpen(2, Duration.ofSeconds(5));
            try (PooledConnection c = pool.get(Duration.ofSeconds(1))) {
                Echo.roundTrip(c); // the check passes while the backend answers
            }
            checkMillis.clear();

            proxy.blackhole(true);
            long t0 = System.nanoTime();
            try (PooledConnection c = pool.get(Duration.ofSeconds(20))) {
                assertThat(c.socket().isConnected()).isTrue(); // a new connection: connects still succeed
            }
            long took = (System.nanoTime() - t0) / 1_000_000;

            // each check ends at its own timeout: not before, and not at the get's 20 s deadline (the
            // upper bounds leave a loaded machine 2 s a check)
            long upper = checkTimeout.toMillis() + 2_000;
            assertThat(checkMillis).as("both idle connections checked, each failing").hasSize(2);
            assertThat(checkMillis).allSatisfy(ms -> assertThat(ms)
                    .as("one check, bounded by its %d ms timeout", checkTimeout.toMillis())
                    .isBetween(checkTimeout.toMillis() - 20, upper));
            assertThat(took).as("two bounded checks, then a connect")
                    .isBetween(2 * checkTimeout.toMillis() - 40, 2 * upper);
            assertThat(pool.stats().pingFailed()).isEqualTo(2);

            proxy.blackhole(false);
            Echo.assertFullyUsable(pool);
        }
    }
}
