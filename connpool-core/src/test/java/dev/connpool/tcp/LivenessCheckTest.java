package dev.connpool.tcp;

import static dev.connpool.tcp.CheckTiming.ARRIVAL;
import static dev.connpool.tcp.CheckTiming.BOUND;
import static dev.connpool.tcp.CheckTiming.LONG_SO_TIMEOUT;
import static dev.connpool.tcp.CheckTiming.NO_WAIT;
import static dev.connpool.tcp.CheckTiming.again;
import static dev.connpool.tcp.CheckTiming.once;
import static dev.connpool.tcp.CheckTiming.untilFails;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.connpool.ConnectionFactory;
import dev.connpool.HealthCheck;
import dev.connpool.tcp.CheckTiming.Outcome;
import dev.connpool.testkit.Await;
import dev.connpool.testkit.Certificates;
import dev.connpool.testkit.LineServer;
import dev.connpool.testkit.TestServer;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link HealthCheck#liveness()} on real loopback sockets: a healthy idle connection passes, and a
 * peer's FIN, RST or unread bytes fail it at once, without waiting on any timeout — over plain TCP
 * and over TLS 1.3, where the session tickets a server sends after the handshake must not count as
 * unread bytes.
 *
 * <p>Every socket under check has a long {@code SO_TIMEOUT}: a check that blocked would take that
 * long and break the bounds of {@link CheckTiming}. Waiting for a FIN, an RST or bytes to arrive
 * is done by running the check until it fails; that first failing run is timed with the runs
 * after it.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class LivenessCheckTest {

    @Test
    void theChecksDescribeThemselves() {
        assertThat(HealthCheck.liveness()).hasToString("liveness");
        assertThat(HealthCheck.none()).hasToString("none");
    }


    private static final Duration CONNECT = Duration.ofSeconds(5);

    private final HealthCheck liveness = HealthCheck.liveness();

    /** Runs the check {@link CheckTiming#RUNS} times: each passes, none waits. */
    private static void assertPasses(HealthCheck check, Socket socket) {
        List<Outcome> runs = again(check, socket, once(check, socket));
        assertThat(runs).extracting(Outcome::failure).as("liveness of a healthy connection").containsOnlyNulls();
        assertQuick(runs);
    }

    /**
     * Runs the check until it fails, then again: every run fails, none waits.
     *
     * @return why the first failing run failed
     */
    private static IOException assertFailsQuickly(HealthCheck check, Socket socket) {
        Outcome first = untilFails(check, socket);
        List<Outcome> runs = again(check, socket, first);
        assertThat(runs).extracting(Outcome::failure).as("liveness of a dead connection").doesNotContainNull();
        assertQuick(runs);
        return first.failure();
    }

    private static void assertQuick(List<Outcome> runs) {
        assertThat(runs).extracting(Outcome::elapsed).as("every run of a liveness check")
                .allSatisfy(d -> assertThat(d).isLessThan(NO_WAIT));
        Duration fastest = runs.stream().map(Outcome::elapsed).min(Comparator.naturalOrder()).orElseThrow();
        assertThat(fastest).as("the fastest of %d runs of a liveness check", runs.size()).isLessThan(BOUND);
    }

    private static void roundTrip(Socket socket, String line) throws IOException {
        socket.getOutputStream().write(line.getBytes(US_ASCII));
        socket.getOutputStream().flush();
        byte[] reply = socket.getInputStream().readNBytes(line.length());
        assertThat(new String(reply, US_ASCII)).isEqualTo(line);
    }

    @Nested
    class PlainTcp {

        private Socket connect(TestServer server) throws IOException {
            Socket socket = ConnectionFactory.tcp(server.host(), server.port(), CONNECT).create();
            socket.setSoTimeout(LONG_SO_TIMEOUT);
            served(socket);
            return socket;
        }

        /**
         * Waits until the server serves the connection: only then do finAll, resetAll and
         * sendToAll reach it (TestServer counts a connection open a moment before it can).
         */
        private void served(Socket socket) throws IOException {
            roundTrip(socket, "?");
        }

        @Test
        void healthyIdleConnectionPassesAndStaysUsable() throws Exception {
            try (TestServer server = TestServer.echo(); Socket socket = connect(server)) {
                for (int i = 0; i < 3; i++) {
                    assertPasses(liveness, socket);
                }
                roundTrip(socket, "still in step\n");
                assertPasses(liveness, socket);
            }
        }

        @Test
        void serverFinFailsAtOnce() throws Exception {
            try (TestServer server = TestServer.echo(); Socket socket = connect(server)) {
                assertPasses(liveness, socket);
                server.finAll();

                IOException failure = assertFailsQuickly(liveness, socket);

                assertThat(failure).isInstanceOf(EOFException.class).hasMessageContaining("closed");
            }
        }

        @Test
        void serverResetFailsAtOnce() throws Exception {
            try (TestServer server = TestServer.echo(); Socket socket = connect(server)) {
                assertPasses(liveness, socket);
                server.resetAll();

                IOException failure = assertFailsQuickly(liveness, socket);

                assertThat(failure).isNotInstanceOf(EOFException.class).hasMessageContaining("reset");
            }
        }

        @Test
        void unreadBytesFailAtOnce() throws Exception {
            try (TestServer server = TestServer.echo(); Socket socket = connect(server)) {
                assertPasses(liveness, socket);
                server.sendToAll("+OK stale reply\r\n".getBytes(US_ASCII));

                IOException failure = assertFailsQuickly(liveness, socket);

                assertThat(failure).hasMessageContaining("unread bytes");
            }
        }

        @Test
        void socketWithoutChannelShowsUnreadBytes() throws Exception {
            try (TestServer server = TestServer.echo(); Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(server.host(), server.port()), 5_000);
                socket.setSoTimeout(LONG_SO_TIMEOUT);
                assertThat(socket.getChannel()).isNull();
                served(socket);
                assertPasses(liveness, socket);
                server.sendToAll("x".getBytes(US_ASCII));

                IOException failure = assertFailsQuickly(liveness, socket);

                assertThat(failure).hasMessageContaining("unread bytes");
            }
        }

        /**
         * The documented limitation: without a channel there is no read that does not block, so
         * a FIN goes unseen. Pinned here so that a change of it is a decision, not an accident.
         */
        @Test
        void socketWithoutChannelCannotSeeFin() throws Exception {
            try (TestServer server = TestServer.echo(); Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(server.host(), server.port()), 5_000);
                socket.setSoTimeout(LONG_SO_TIMEOUT);
                served(socket);
                server.finAll();
                server.awaitOpen(0, ARRIVAL);
                // read first, so that the FIN has surely arrived when the check runs
                assertThat(socket.getInputStream().read()).as("the FIN has arrived").isEqualTo(-1);

                assertPasses(liveness, socket);
            }
        }

        @Test
        void closedSocketFails() throws Exception {
            try (TestServer server = TestServer.echo()) {
                Socket socket = connect(server);
                socket.close();
                assertThatThrownBy(() -> liveness.check(socket)).isInstanceOf(IOException.class)
                        .hasMessageContaining("closed");
            }
        }
    }

    @Nested
    class Tls {

        private static Certificates certificates;

        @BeforeAll
        static void certificates() throws Exception {
            certificates = Certificates.selfSigned("localhost");
        }

        private LineServer server() throws Exception {
            return LineServer.tls(certificates.serverContext(), LineServer.ECHO);
        }

        private SSLSocket connect(LineServer server) throws Exception {
            SSLSocket socket = (SSLSocket) ConnectionFactory
                    .tls("localhost", server.port(), CONNECT, certificates.clientContext()).create();
            socket.setSoTimeout(LONG_SO_TIMEOUT);
            server.connection(0, ARRIVAL).awaitHandshake(ARRIVAL);
            return socket;
        }

        /**
         * Waits until the session tickets the server sends after the handshake have arrived below
         * TLS, then lets the check consume them.
         */
        private void consumeSessionTickets(SSLSocket socket) throws IOException {
            PeekableSocket raw = TlsSockets.rawOf(socket);
            Await.until(() -> peek(raw) > 0, ARRIVAL, "no session ticket arrived");
            assertPasses(liveness, socket);
            assertThat(raw.peek()).as("bytes left below TLS after the check").isZero();
        }

        private int peek(PeekableSocket raw) {
            try {
                return raw.peek();
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }

        @Test
        void sessionTicketsAreConsumedNotMistakenForUnreadBytes() throws Exception {
            try (LineServer server = server(); SSLSocket socket = connect(server)) {
                assertThat(socket.getSession().getProtocol()).isEqualTo("TLSv1.3");

                consumeSessionTickets(socket);

                for (int i = 0; i < 3; i++) {
                    assertPasses(liveness, socket);
                }
                roundTrip(socket, "after the tickets\n");
                assertPasses(liveness, socket);
                roundTrip(socket, "and again\n");
            }
        }

        @Test
        void closeNotifyAndFinFailAtOnce() throws Exception {
            try (LineServer server = server(); SSLSocket socket = connect(server)) {
                consumeSessionTickets(socket);
                server.connection(0, ARRIVAL).closeTls();

                IOException failure = assertFailsQuickly(liveness, socket);

                assertThat(failure).isInstanceOf(EOFException.class).hasMessageContaining("closed");
            }
        }

        @Test
        void finWithoutCloseNotifyFailsAtOnce() throws Exception {
            try (LineServer server = server(); SSLSocket socket = connect(server)) {
                consumeSessionTickets(socket);
                server.connection(0, ARRIVAL).fin();

                IOException failure = assertFailsQuickly(liveness, socket);

                assertThat(failure).isInstanceOf(EOFException.class).hasMessageContaining("closed");
            }
        }

        @Test
        void resetFailsAtOnce() throws Exception {
            try (LineServer server = server(); SSLSocket socket = connect(server)) {
                consumeSessionTickets(socket);
                server.connection(0, ARRIVAL).reset();

                IOException failure = assertFailsQuickly(liveness, socket);

                assertThat(failure).hasMessageContaining("reset");
            }
        }

        @Test
        void applicationDataFailsAtOnce() throws Exception {
            try (LineServer server = server(); SSLSocket socket = connect(server)) {
                consumeSessionTickets(socket);
                server.connection(0, ARRIVAL).send("+OK stale reply\r\n".getBytes(US_ASCII));

                IOException failure = assertFailsQuickly(liveness, socket);

                assertThat(failure).hasMessageContaining("unread bytes");
            }
        }

        @Test
        void applicationDataRightBehindTheTicketsFails() throws Exception {
            try (LineServer server = server(); SSLSocket socket = connect(server)) {
                // no check before the data: tickets and data may be read by the same check
                server.connection(0, ARRIVAL).send("+OK stale reply\r\n".getBytes(US_ASCII));

                IOException failure = assertFailsQuickly(liveness, socket);

                assertThat(failure).hasMessageContaining("unread bytes");
            }
        }

        /**
         * Half a record cannot be judged yet (a ticket and data look alike until decrypted), so the
         * check passes without waiting for the rest; once the rest is in, the data shows.
         */
        @Test
        void partialRecordPassesWithoutBlockingUntilComplete() throws Exception {
            try (LineServer server = server(); SSLSocket socket = connect(server)) {
                consumeSessionTickets(socket);
                LineServer.Conn conn = server.connection(0, ARRIVAL);
                PeekableSocket raw = TlsSockets.rawOf(socket);
                conn.sendHoldingBack("+OK stale reply\r\n".getBytes(US_ASCII), 8); // header and 3 bytes
                Await.until(() -> peek(raw) == 8, ARRIVAL, "the first 8 bytes of the record did not arrive");

                assertPasses(liveness, socket);
                assertPasses(liveness, socket);

                conn.release();
                IOException failure = assertFailsQuickly(liveness, socket);
                assertThat(failure).hasMessageContaining("unread bytes");
            }
        }

        /**
         * A read that timed out halfway through a record leaves TLS in the middle of it; the check
         * must follow record boundaries from there, not from the start of its buffer.
         */
        @Test
        void recordCutByAReadTimeoutIsFollowedToItsEnd() throws Exception {
            try (LineServer server = server(); SSLSocket socket = connect(server)) {
                consumeSessionTickets(socket);
                LineServer.Conn conn = server.connection(0, ARRIVAL);
                PeekableSocket raw = TlsSockets.rawOf(socket);
                conn.sendHoldingBack("+OK late reply to a request that timed out\r\n".getBytes(US_ASCII), 8);
                Await.until(() -> peek(raw) == 8, ARRIVAL, "the first 8 bytes of the record did not arrive");
                socket.setSoTimeout(100);
                InputStream in = socket.getInputStream();
                assertThatThrownBy(in::read).isInstanceOf(SocketTimeoutException.class);
                socket.setSoTimeout(LONG_SO_TIMEOUT);

                assertPasses(liveness, socket);

                conn.release();
                IOException failure = assertFailsQuickly(liveness, socket);
                assertThat(failure).hasMessageContaining("unread bytes");
            }
        }
    }
}
