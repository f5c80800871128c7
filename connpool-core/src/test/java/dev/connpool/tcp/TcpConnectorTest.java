package dev.connpool.tcp;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.connpool.ConnectionFactory;
import dev.connpool.testkit.Await;
import dev.connpool.testkit.Certificates;
import dev.connpool.testkit.HangingServer;
import dev.connpool.testkit.LineServer;
import dev.connpool.testkit.Ports;
import dev.connpool.testkit.TestServer;
import dev.connpool.testkit.TrickleServer;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.channels.ClosedByInterruptException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link ConnectionFactory#tcp(String, int, Duration)}, {@link ConnectionFactory#tls} and
 * {@link TcpConnector.Builder}: socket options, a bounded and interruptible connect, and TLS with
 * SNI and host name verification on by default.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class TcpConnectorTest {

    private static final Duration WAIT = Duration.ofSeconds(5);
    /** Scheduling slack on top of a timeout a connect is expected to run into. */
    private static final Duration SLACK = Duration.ofMillis(800);

    /** This process's open file descriptors, as Linux lists them. */
    private static long openFileDescriptors() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }

    private static long millisSince(long start) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    }

    @Nested
    class SocketOptions {

        @Test
        void tcpSocketsHaveNoDelayAndKeepAliveAndAChannel() throws Exception {
            try (TestServer server = TestServer.echo();
                 Socket socket = ConnectionFactory.tcp(server.host(), server.port(), WAIT).create()) {
                assertThat(socket.isConnected()).isTrue();
                assertThat(socket.getTcpNoDelay()).isTrue();
                assertThat(socket.getKeepAlive()).isTrue();
                assertThat(socket.getOption(StandardSocketOptions.TCP_NODELAY)).isTrue();
                assertThat(socket.getOption(StandardSocketOptions.SO_KEEPALIVE)).isTrue();
                assertThat(socket.getChannel()).as("channel-backed, for the liveness check").isNotNull();
                assertThat(socket.getSoTimeout()).isZero();
            }
        }

        @Test
        void optionsCanBeTurnedOff() throws Exception {
            try (TestServer server = TestServer.echo();
                 Socket socket = TcpConnector.builder(server.host(), server.port())
                         .tcpNoDelay(false).keepAlive(false).build().create()) {
                assertThat(socket.getTcpNoDelay()).isFalse();
                assertThat(socket.getKeepAlive()).isFalse();
            }
        }

        @Test
        void tlsSocketsHaveNoDelayAndKeepAliveHoweverAsked() throws Exception {
            Certificates cert = Certificates.selfSigned("localhost");
            try (LineServer server = LineServer.tls(cert.serverContext(), LineServer.ECHO);
                 Socket socket = ConnectionFactory.tls("localhost", server.port(), WAIT, cert.clientContext())
                         .create()) {
                assertThat(socket.getTcpNoDelay()).isTrue();
                assertThat(socket.getKeepAlive()).isTrue();
                assertThat(socket.getOption(StandardSocketOptions.TCP_NODELAY)).isTrue();
                assertThat(socket.getOption(StandardSocketOptions.SO_KEEPALIVE)).isTrue();
                assertThat(socket.getSoTimeout()).as("the handshake's timeout, cleared").isZero();

                // set through the socket-option API, seen through the classic one (and on the wire)
                socket.setOption(StandardSocketOptions.TCP_NODELAY, false);
                assertThat(socket.getTcpNoDelay()).isFalse();
                assertThat(socket.supportedOptions()).contains(StandardSocketOptions.SO_KEEPALIVE);
            }
        }
    }

    @Nested
    class Connect {

        @Test
        void connectToAHangingServerTimesOutAtTheConnectTimeout() throws Exception {
            Duration timeout = Duration.ofMillis(200);
            try (HangingServer server = new HangingServer()) {
                TcpConnector connector = TcpConnector.builder("127.0.0.1", server.port())
                        .connectTimeout(timeout).build();
                long start = System.nanoTime();

                Throwable thrown = catchThrowable(connector::create);

                long took = millisSince(start);
                assertThat(thrown).isInstanceOf(SocketTimeoutException.class);
                assertThat(took).isBetween(timeout.toMillis() - 5, timeout.plus(SLACK).toMillis());
            }
        }

        @Test
        void interruptAbortsAConnectAtOnceAndKeepsTheFlag() throws Exception {
            try (HangingServer server = new HangingServer()) {
                TcpConnector connector = TcpConnector.builder("127.0.0.1", server.port())
                        .connectTimeout(Duration.ofSeconds(20)).build();
                CompletableFuture<Throwable> outcome = new CompletableFuture<>();
                AtomicLong abortedAt = new AtomicLong();
                Thread connecting = new Thread(() -> {
                    Throwable t = catchThrowable(connector::create);
                    abortedAt.set(System.nanoTime());
                    outcome.complete(t != null && Thread.currentThread().isInterrupted()
                            ? t : new AssertionError("interrupt flag lost, or no exception", t));
                }, "connecting");
                connecting.setDaemon(true);
                connecting.start();
                try {
                    Await.until(() -> inChannelConnect(connecting), WAIT, "the thread never got into connect");
                    long interruptedAt = System.nanoTime();
                    connecting.interrupt();

                    Throwable thrown = outcome.get(5, TimeUnit.SECONDS);

                    assertThat(thrown).isInstanceOfAny(ClosedByInterruptException.class,
                            InterruptedIOException.class);
                    // at once: well inside the 20 s connect timeout, generous for a loaded machine
                    assertThat(TimeUnit.NANOSECONDS.toMillis(abortedAt.get() - interruptedAt)).isLessThan(5_000);
                } finally {
                    connecting.interrupt();
                    connecting.join(10_000);
                }
                assertThat(connecting.isAlive()).isFalse();
            }
        }

        private boolean inChannelConnect(Thread t) {
            for (StackTraceElement e : t.getStackTrace()) {
                if (e.getClassName().startsWith("sun.nio.ch.") && e.getMethodName().toLowerCase().contains("connect")) {
                    return true;
                }
            }
            return false;
        }

        @Test
        void refusedConnectFailsAtOnce() throws Exception {
            TcpConnector connector = TcpConnector.builder("127.0.0.1", Ports.closed())
                    .connectTimeout(Duration.ofSeconds(10)).build();
            long start = System.nanoTime();

            Throwable thrown = catchThrowable(connector::create);

            assertThat(thrown).isInstanceOf(ConnectException.class);
            assertThat(millisSince(start)).as("refused, not timed out").isLessThan(5_000);
        }

        @Test
        void aFailedConnectLeavesNoFileDescriptorBehind() throws Exception {
            // refused: the JDK closes the channel itself; no time left (a connect timeout that ran
            // out before the connect began): only the connector's own close does
            TcpConnector refused = TcpConnector.builder("127.0.0.1", Ports.closed()).build();
            TcpConnector noTimeLeft = TcpConnector.builder("127.0.0.1", Ports.closed())
                    .connectTimeout(Duration.ofNanos(1)).build();
            long before = openFileDescriptors();
            for (int i = 0; i < 100; i++) {
                assertThat(catchThrowable(refused::create)).isInstanceOf(ConnectException.class);
                assertThat(catchThrowable(noTimeLeft::create)).isInstanceOf(SocketTimeoutException.class)
                        .hasMessage("connect timed out");
            }
            // a leak would be one per connect; the rest of the JVM may open a few meanwhile
            assertThat(openFileDescriptors() - before).as("file descriptors gained over 200 failed connects")
                    .isLessThan(50);
        }

        @Test
        void handshakeWithAServerThatNeverSpeaksTlsIsBoundedAndClosesTheSocket() throws Exception {
            Certificates cert = Certificates.selfSigned("localhost");
            Duration timeout = Duration.ofMillis(300);
            try (TestServer server = TestServer.start(TestServer.Mode.SILENT)) {
                TcpConnector connector = TcpConnector.builder("localhost", server.port())
                        .connectTimeout(timeout).tls(cert.clientContext()).build();
                long start = System.nanoTime();

                Throwable thrown = catchThrowable(connector::create);

                long took = millisSince(start);
                assertThat(thrown).isInstanceOf(SocketTimeoutException.class);
                assertThat(took).isBetween(timeout.toMillis() - 5, timeout.plus(SLACK).toMillis());
                server.awaitAccepted(1, WAIT);
                server.awaitOpen(0, WAIT);
            }
        }

        @Test
        void handshakeIsBoundedAsAWholeNotPerRead() throws Exception {
            Certificates cert = Certificates.selfSigned("localhost");
            Duration timeout = Duration.ofMillis(400);
            try (TrickleServer server = new TrickleServer(40, TimeUnit.MILLISECONDS)) {
                TcpConnector connector = TcpConnector.builder("localhost", server.port())
                        .connectTimeout(timeout).tls(cert.clientContext()).build();
                long start = System.nanoTime();

                Throwable thrown = catchThrowable(connector::create);

                long took = millisSince(start);
                assertThat(thrown).isInstanceOf(SocketTimeoutException.class);
                assertThat(took).isBetween(timeout.toMillis() - 5, timeout.plus(SLACK).toMillis());
            }
        }
    }

    @Nested
    class Tls {

        private SSLSocket connect(TcpConnector connector) throws IOException {
            return (SSLSocket) connector.create();
        }

        private void echo(Socket socket) throws IOException {
            socket.getOutputStream().write("hello\n".getBytes(US_ASCII));
            socket.getOutputStream().flush();
            assertThat(new String(socket.getInputStream().readNBytes(6), US_ASCII)).isEqualTo("hello\n");
        }

        @Test
        void certificateForTheHostIsAcceptedAndSniNamesIt() throws Exception {
            Certificates cert = Certificates.selfSigned("localhost");
            try (LineServer server = LineServer.tls(cert.serverContext(), LineServer.ECHO);
                 Socket socket = ConnectionFactory.tls("localhost", server.port(), WAIT, cert.clientContext())
                         .create()) {
                LineServer.Conn conn = server.connection(0, WAIT);
                conn.awaitHandshake(WAIT);
                assertThat(conn.requestedServerNames()).containsExactly(new SNIHostName("localhost"));
                assertThat(conn.protocol()).isEqualTo("TLSv1.3");
                echo(socket);
            }
        }

        @Test
        void certificateForAnotherHostIsRefusedByDefault() throws Exception {
            Certificates other = Certificates.selfSigned("other.example");
            try (LineServer server = LineServer.tls(other.serverContext(), LineServer.ECHO)) {
                Throwable thrown = catchThrowable(() -> ConnectionFactory
                        .tls("localhost", server.port(), WAIT, other.clientContext()).create());

                assertThat(thrown).isInstanceOf(SSLHandshakeException.class)
                        .hasRootCauseInstanceOf(CertificateException.class);
                assertThat(rootCause(thrown)).hasMessageContaining("localhost");
                server.awaitOpen(0, WAIT); // the connector closed its side
            }
        }

        @Test
        void certificateForAnotherHostIsRefusedOnAnIpAddressToo() throws Exception {
            Certificates other = Certificates.selfSigned("other.example");
            try (LineServer server = LineServer.tls(other.serverContext(), LineServer.ECHO)) {
                Throwable thrown = catchThrowable(() -> ConnectionFactory
                        .tls("127.0.0.1", server.port(), WAIT, other.clientContext()).create());

                assertThat(thrown).isInstanceOf(SSLHandshakeException.class)
                        .hasRootCauseInstanceOf(CertificateException.class);
                server.awaitOpen(0, WAIT);
            }
        }

        @Test
        void ipAddressIsVerifiedAgainstTheCertificateAndSendsNoSni() throws Exception {
            Certificates cert = Certificates.selfSigned("127.0.0.1");
            try (LineServer server = LineServer.tls(cert.serverContext(), LineServer.ECHO);
                 Socket socket = ConnectionFactory.tls("127.0.0.1", server.port(), WAIT, cert.clientContext())
                         .create()) {
                LineServer.Conn conn = server.connection(0, WAIT);
                conn.awaitHandshake(WAIT);
                assertThat(conn.requestedServerNames()).as("SNI never carries an IP address").isEmpty();
                echo(socket);
            }
        }

        @Test
        void serverNameIsSentAsSniAndVerifiedInsteadOfTheHost() throws Exception {
            Certificates cert = Certificates.selfSigned("db.internal.example");
            try (LineServer server = LineServer.tls(cert.serverContext(), LineServer.ECHO);
                 SSLSocket socket = connect(TcpConnector.builder("127.0.0.1", server.port())
                         .serverName("db.internal.example").tls(cert.clientContext()).build())) {
                LineServer.Conn conn = server.connection(0, WAIT);
                conn.awaitHandshake(WAIT);
                assertThat(conn.requestedServerNames()).containsExactly(new SNIHostName("db.internal.example"));
                echo(socket);
            }
        }

        @Test
        void verifyHostnameOffAcceptsAnotherHostsCertificate() throws Exception {
            Certificates other = Certificates.selfSigned("other.example");
            try (LineServer server = LineServer.tls(other.serverContext(), LineServer.ECHO);
                 SSLSocket socket = connect(TcpConnector.builder("localhost", server.port())
                         .verifyHostname(false).tls(other.clientContext()).build())) {
                echo(socket);
            }
        }

        @Test
        void verifyHostnameOffStillRefusesAnUntrustedCertificate() throws Exception {
            Certificates served = Certificates.selfSigned("localhost");
            Certificates trusted = Certificates.selfSigned("localhost");
            try (LineServer server = LineServer.tls(served.serverContext(), LineServer.ECHO)) {
                SSLContext trustsAnother = trusted.clientContext();
                Throwable thrown = catchThrowable(() -> TcpConnector.builder("localhost", server.port())
                        .verifyHostname(false).tls(trustsAnother).build().create());

                assertThat(thrown).isInstanceOf(SSLHandshakeException.class);
                server.awaitOpen(0, WAIT);
            }
        }

        @Test
        void anIpv6LiteralIsVerifiedAgainstTheCertificateAndSentAsNoSni() throws Exception {
            Certificates cert = Certificates.selfSigned("::1");
            try (LineServer server = LineServer.tlsOnIpv6Loopback(cert.serverContext(), LineServer.ECHO);
                 Socket socket = ConnectionFactory.tls("::1", server.port(), WAIT, cert.clientContext()).create()) {
                LineServer.Conn conn = server.connection(0, WAIT);
                conn.awaitHandshake(WAIT);
                assertThat(conn.requestedServerNames()).as("SNI never carries an IP address").isEmpty();
                echo(socket);
            }
        }

        @Test
        void closingATlsSocketClosesTheTcpConnectionBelowAndForgetsIt() throws Exception {
            Certificates cert = Certificates.selfSigned("localhost");
            try (LineServer server = LineServer.tls(cert.serverContext(), LineServer.ECHO)) {
                SSLSocket socket = connect(TcpConnector.builder("localhost", server.port())
                        .tls(cert.clientContext()).build());
                PeekableSocket below = TlsSockets.rawOf(socket);
                assertThat(below).as("the socket below, recorded for the checks").isNotNull();
                server.awaitOpen(1, WAIT);

                socket.close();

                assertThat(below.isClosed()).isTrue();
                server.awaitOpen(0, WAIT);
                assertThat(TlsSockets.rawOf(socket)).as("forgotten once closed").isNull();
            }
        }

        @Test
        void abortingATlsSocketResetsTheTcpConnectionBelowAndForgetsIt() throws Exception {
            Certificates cert = Certificates.selfSigned("localhost");
            try (LineServer server = LineServer.tls(cert.serverContext(), LineServer.ECHO)) {
                SSLSocket socket = connect(TcpConnector.builder("localhost", server.port())
                        .tls(cert.clientContext()).build());
                PeekableSocket below = TlsSockets.rawOf(socket);
                echo(socket);

                Sockets.abort(socket);

                assertThat(socket.isClosed()).isTrue();
                assertThat(below.isClosed()).isTrue();
                assertThat(TlsSockets.rawOf(socket)).isNull();
                server.awaitOpen(0, WAIT);
                // no close_notify: the server's TLS layer saw the TCP connection end under it
                assertThat(server.connection(0, WAIT).failure()).as("what the server saw").isNotNull();
            }
        }

        @Test
        void sslParametersCustomizerSeesVerificationOnAndCanRestrictProtocols() throws Exception {
            Certificates cert = Certificates.selfSigned("localhost");
            List<String> seen = new CopyOnWriteArrayList<>();
            try (LineServer server = LineServer.tls(cert.serverContext(), LineServer.ECHO);
                 SSLSocket socket = connect(TcpConnector.builder("localhost", server.port())
                         .tls(cert.clientContext())
                         .sslParameters(p -> {
                             seen.add(p.getEndpointIdentificationAlgorithm());
                             p.setProtocols(new String[] {"TLSv1.3"});
                         }).build())) {
                assertThat(seen).containsExactly("HTTPS");
                assertThat(socket.getSession().getProtocol()).isEqualTo("TLSv1.3");
            }
        }

        private Throwable rootCause(Throwable t) {
            while (t.getCause() != null) {
                t = t.getCause();
            }
            return t;
        }
    }

    @Nested
    class Validation {

        @Test
        void hostMustNotBeBlank() {
            assertThatThrownBy(() -> TcpConnector.builder(null, 80).build())
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("host");
            assertThatThrownBy(() -> TcpConnector.builder(" ", 80).build())
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("host");
            assertThatThrownBy(() -> ConnectionFactory.tcp("", 80, WAIT))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("host");
        }

        @Test
        void portMustBeInRange() {
            for (int port : new int[] {0, -1, 65536}) {
                assertThatThrownBy(() -> TcpConnector.builder("localhost", port).build())
                        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("port")
                        .hasMessageContaining(String.valueOf(port));
            }
            assertThat(TcpConnector.builder("localhost", 65535).build().port()).isEqualTo(65535);
            assertThat(TcpConnector.builder("localhost", 1).build().port()).isEqualTo(1);
        }

        @Test
        void connectTimeoutMustBePositive() {
            assertThatThrownBy(() -> TcpConnector.builder("localhost", 80).connectTimeout(Duration.ZERO).build())
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("connectTimeout");
            assertThatThrownBy(() -> ConnectionFactory.tcp("localhost", 80, Duration.ofMillis(-5)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("connectTimeout");
            assertThatThrownBy(() -> ConnectionFactory.tcp("localhost", 80, null))
                    .isInstanceOf(NullPointerException.class).hasMessageContaining("connectTimeout");
        }

        @Test
        void serverNameMustNotBeBlank() {
            assertThatThrownBy(() -> TcpConnector.builder("localhost", 80).serverName(" ").build())
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("serverName");
        }

        @Test
        void defaultsAreDocumented() {
            TcpConnector connector = TcpConnector.builder("localhost", 6379).build();
            assertThat(connector.host()).isEqualTo("localhost");
            assertThat(connector.port()).isEqualTo(6379);
            assertThat(connector.isTls()).isFalse();
            assertThat(connector).hasToString("tcp://localhost:6379");
            assertThat(TcpConnector.DEFAULT_CONNECT_TIMEOUT).isEqualTo(Duration.ofSeconds(10));
        }
    }
}
