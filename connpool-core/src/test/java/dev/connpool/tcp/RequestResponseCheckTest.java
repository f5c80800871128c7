package dev.connpool.tcp;

import static dev.connpool.tcp.CheckTiming.ARRIVAL;
import static dev.connpool.tcp.CheckTiming.once;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.connpool.ConnectionFactory;
import dev.connpool.HealthCheck;
import dev.connpool.tcp.CheckTiming.Outcome;
import dev.connpool.testkit.Certificates;
import dev.connpool.testkit.LineServer;
import dev.connpool.testkit.TestServer;
import java.io.EOFException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link HealthCheck#requestResponse(byte[], byte[], Duration)} against loopback servers that
 * answer, answer wrongly, or never answer, over plain TCP and TLS.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class RequestResponseCheckTest {

    private static final Duration CONNECT = Duration.ofSeconds(5);
    private static final byte[] PING = "PING\r\n".getBytes(US_ASCII);
    private static final byte[] PONG = "+PONG".getBytes(US_ASCII);
    /** Scheduling slack on top of a timeout the check is expected to run into. */
    private static final Duration SLACK = Duration.ofMillis(700);
    private static final int USER_SO_TIMEOUT = 4_321;

    private static Certificates certificates;

    @BeforeAll
    static void certificates() throws Exception {
        certificates = Certificates.selfSigned("localhost");
    }

    private static HealthCheck ping(Duration timeout) {
        return HealthCheck.requestResponse(PING, PONG, timeout);
    }

    /** A check that answers, then a user exchange that must see its own reply and nothing before it. */
    private static void passesAndLeavesNothingBehind(Socket socket) throws IOException {
        HealthCheck check = ping(Duration.ofSeconds(2));
        for (int i = 0; i < 3; i++) {
            Outcome outcome = once(check, socket);
            assertThat(outcome.failure()).as("check against a server that answers +PONG").isNull();
        }
        assertThat(socket.getSoTimeout()).as("the user's SO_TIMEOUT, restored").isEqualTo(USER_SO_TIMEOUT);
        socket.getOutputStream().write("GET key\r\n".getBytes(US_ASCII));
        socket.getOutputStream().flush();
        byte[] reply = socket.getInputStream().readNBytes("GET key\r\n".length());
        assertThat(new String(reply, US_ASCII)).as("the user's next reply").isEqualTo("GET key\r\n");
    }

    private static void failsNamingBoth(Socket socket, String wrongReply) {
        HealthCheck check = ping(Duration.ofSeconds(5));
        Outcome outcome = once(check, socket);
        assertThat(outcome.failure()).isNotNull()
                .hasMessageContaining(wrongReply)
                .hasMessageContaining("+PONG");
        assertThat(outcome.elapsed()).as("a wrong reply is known at once").isLessThan(Duration.ofSeconds(2));
    }

    private static void failsByItsTimeout(Socket socket) throws IOException {
        Duration timeout = Duration.ofMillis(300);
        Outcome outcome = once(ping(timeout), socket);
        assertThat(outcome.failure()).isInstanceOf(InterruptedIOException.class);
        assertThat(outcome.elapsed()).isGreaterThanOrEqualTo(timeout.minusMillis(5))
                .isLessThan(timeout.plus(SLACK));
        assertThat(socket.getSoTimeout()).as("the user's SO_TIMEOUT, restored").isEqualTo(USER_SO_TIMEOUT);
    }

    @Nested
    class PlainTcp {

        private Socket connect(int port) throws IOException {
            Socket socket = ConnectionFactory.tcp("127.0.0.1", port, CONNECT).create();
            socket.setSoTimeout(USER_SO_TIMEOUT);
            return socket;
        }

        @Test
        void answeringServerPassesAndTheRestOfTheReplyIsConsumed() throws Exception {
            try (LineServer server = LineServer.plain(LineServer.PONG); Socket socket = connect(server.port())) {
                passesAndLeavesNothingBehind(socket);
            }
        }

        @Test
        void wrongAnswerFailsNamingBoth() throws Exception {
            UnaryOperator<String> err = line -> "-ERR unknown command\r\n";
            try (LineServer server = LineServer.plain(err); Socket socket = connect(server.port())) {
                failsNamingBoth(socket, "-ERR unknown command");
            }
        }

        @Test
        void wrongAnswerShorterThanThePrefixFailsWithoutWaitingForTheTimeout() throws Exception {
            UnaryOperator<String> err = line -> "-E\r\n";
            try (LineServer server = LineServer.plain(err); Socket socket = connect(server.port())) {
                failsNamingBoth(socket, "-E\\r\\n");
            }
        }

        @Test
        void silentServerFailsByTheTimeout() throws Exception {
            try (TestServer server = TestServer.start(TestServer.Mode.SILENT); Socket socket = connect(server.port())) {
                failsByItsTimeout(socket);
            }
        }

        @Test
        void closedConnectionFailsWithoutWaitingForTheTimeout() throws Exception {
            try (TestServer server = TestServer.echo(); Socket socket = connect(server.port())) {
                // served (an echo came back), so finAll reaches it
                socket.getOutputStream().write('?');
                assertThat(socket.getInputStream().read()).isEqualTo('?');
                server.finAll();
                server.awaitOpen(0, ARRIVAL);
                HealthCheck check = ping(Duration.ofSeconds(5));

                Outcome outcome = CheckTiming.untilFails(check, socket);

                assertThat(outcome.failure()).isInstanceOf(EOFException.class);
                assertThat(outcome.elapsed()).isLessThan(Duration.ofSeconds(1));
            }
        }
    }

    @Nested
    class Tls {

        private Socket connect(LineServer server) throws Exception {
            Socket socket = ConnectionFactory.tls("localhost", server.port(), CONNECT, certificates.clientContext())
                    .create();
            socket.setSoTimeout(USER_SO_TIMEOUT);
            return socket;
        }

        @Test
        void answeringServerPassesAndTheRestOfTheReplyIsConsumed() throws Exception {
            try (LineServer server = LineServer.tls(certificates.serverContext(), LineServer.PONG);
                 Socket socket = connect(server)) {
                passesAndLeavesNothingBehind(socket);
            }
        }

        @Test
        void wrongAnswerFailsNamingBoth() throws Exception {
            try (LineServer server = LineServer.tls(certificates.serverContext(), line -> "-ERR wrong\r\n");
                 Socket socket = connect(server)) {
                failsNamingBoth(socket, "-ERR wrong");
            }
        }

        @Test
        void silentServerFailsByTheTimeout() throws Exception {
            try (LineServer server = LineServer.tls(certificates.serverContext(), LineServer.SILENT);
                 Socket socket = connect(server)) {
                failsByItsTimeout(socket);
            }
        }
    }

    @Nested
    class Arguments {

        @Test
        void nullsAreRefusedNamingTheArgument() {
            assertThatThrownBy(() -> HealthCheck.requestResponse(null, PONG, Duration.ofSeconds(1)))
                    .isInstanceOf(NullPointerException.class).hasMessageContaining("request");
            assertThatThrownBy(() -> HealthCheck.requestResponse(PING, null, Duration.ofSeconds(1)))
                    .isInstanceOf(NullPointerException.class).hasMessageContaining("expectedReplyPrefix");
            assertThatThrownBy(() -> HealthCheck.requestResponse(PING, PONG, null))
                    .isInstanceOf(NullPointerException.class).hasMessageContaining("timeout");
        }

        @Test
        void emptyBytesAreRefusedNamingTheArgument() {
            assertThatThrownBy(() -> HealthCheck.requestResponse(new byte[0], PONG, Duration.ofSeconds(1)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("request");
            assertThatThrownBy(() -> HealthCheck.requestResponse(PING, new byte[0], Duration.ofSeconds(1)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expectedReplyPrefix");
        }

        @Test
        void nonPositiveTimeoutIsRefused() {
            assertThatThrownBy(() -> HealthCheck.requestResponse(PING, PONG, Duration.ZERO))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("timeout");
            assertThatThrownBy(() -> HealthCheck.requestResponse(PING, PONG, Duration.ofMillis(-1)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("timeout");
        }

        @Test
        void argumentsAreCopied() throws Exception {
            byte[] request = PING.clone();
            byte[] prefix = PONG.clone();
            HealthCheck check = HealthCheck.requestResponse(request, prefix, Duration.ofSeconds(2));
            request[0] = 'X';
            prefix[0] = 'X';
            try (LineServer server = LineServer.plain(LineServer.PONG);
                 Socket socket = ConnectionFactory.tcp("127.0.0.1", server.port(), CONNECT).create()) {
                assertThat(once(check, socket).failure()).isNull();
            }
        }
    }
}
