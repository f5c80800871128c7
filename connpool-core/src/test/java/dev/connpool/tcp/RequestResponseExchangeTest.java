package dev.connpool.tcp;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.connpool.ConnectionFactory;
import dev.connpool.HealthCheck;
import dev.connpool.HealthCheckSkippedException;
import dev.connpool.testkit.Await;
import dev.connpool.testkit.LineServer;
import dev.connpool.testkit.Worker;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The rules of one request/response exchange, each pinned on its own: the leading liveness check,
 * the millisecond before the caller's deadline in which no exchange starts, a reply judged as its
 * pieces arrive, the failure message, and, on a socket without a channel, every read bounded by
 * the time left rather than by a timeout of its own.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class RequestResponseExchangeTest {

    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final byte[] PING = "PING\r\n".getBytes(US_ASCII);

    /** The lines the server read, whatever it answered. */
    private final List<String> lines = new CopyOnWriteArrayList<>();
    private LineServer server;
    private Socket socket;

    @AfterEach
    void close() throws IOException {
        if (socket != null) {
            socket.close();
        }
        if (server != null) {
            server.close();
        }
    }

    /** A plain server that records every line and answers it with {@code answer}'s result. */
    private Socket connectTo(java.util.function.UnaryOperator<String> answer) throws IOException {
        server = LineServer.plain(line -> {
            lines.add(line);
            return answer.apply(line);
        });
        socket = ConnectionFactory.tcp(server.host(), server.port(), WAIT).create();
        return socket;
    }

    private static HealthCheck check(String expect, Duration timeout) {
        return HealthCheck.requestResponse(PING, expect.getBytes(ISO_8859_1), timeout);
    }

    @Test
    void aCheckThatPassedLeavesTheThreadUninterruptedAndItsDescriptionHidesTheRequest() throws Exception {
        connectTo(line -> "+PONG\r\n");
        HealthCheck check = check("+PONG", WAIT);
        check.check(socket);
        assertThat(Thread.interrupted()).as("no interrupt made up by the check").isFalse();
        assertThat(check).hasToString("requestResponse(6 bytes -> \"+PONG\", 5000ms)");
    }

    @Test
    void aCheckThatFailedMakesUpNoInterruptEither() throws Exception {
        connectTo(line -> "-ERR\r\n");
        // the exchange ran and failed
        assertThatThrownBy(() -> check("+PONG", WAIT).check(socket)).isInstanceOf(IOException.class)
                .hasMessageStartingWith("unexpected reply");
        assertThat(Thread.interrupted()).as("no interrupt made up by a failed exchange").isFalse();
        // the leading liveness check failed: no exchange at all
        socket.close();
        assertThatThrownBy(() -> check("+PONG", WAIT).check(socket)).isInstanceOf(IOException.class);
        assertThat(Thread.interrupted()).as("no interrupt made up by a failed liveness check").isFalse();
    }

    @Nested
    class LeadingLivenessCheck {

        @Test
        void bytesNobodyAskedForFailTheCheckBeforeAnyRequestIsSent() throws Exception {
            connectTo(line -> "+PONG\r\n");
            // a stale reply, as a user that gave up on a request leaves behind: it reads as +PONG
            server.connection(0, WAIT).send("+PONG\r\n".getBytes(US_ASCII));
            InputStream in = socket.getInputStream();
            Await.until(() -> available(in) > 0, WAIT, "the stale reply arrived");

            assertThatThrownBy(() -> check("+PONG", WAIT).check(socket)).isInstanceOf(IOException.class)
                    .hasMessageContaining("unread");
            assertThat(lines).as("no request went out").isEmpty();
        }
    }

    @Nested
    class CallersDeadline {

        @Test
        void lessThanAMillisecondLeftSkipsTheExchangeAndSendsNothing() throws Exception {
            connectTo(line -> "+PONG\r\n");
            HealthCheck check = check("+PONG", WAIT);

            assertThatThrownBy(() -> check.check(socket, System.nanoTime() + 500_000))
                    .isInstanceOf(HealthCheckSkippedException.class);
            assertThatThrownBy(() -> check.check(socket, System.nanoTime() - 1_000_000))
                    .isInstanceOf(HealthCheckSkippedException.class);

            // a check with time left runs, and is the only PING the server ever saw
            check.check(socket, System.nanoTime() + WAIT.toNanos());
            Await.until(() -> lines.size() == 1, WAIT, "the PING of the check that ran");
            assertThat(lines).containsExactly("PING\r\n");
        }

        @Test
        void aFewMillisecondsLeftAreEnoughToStart() throws Exception {
            connectTo(line -> null); // never answers
            long start = System.nanoTime();
            assertThatThrownBy(() -> check("+PONG", Duration.ofSeconds(10)).check(socket, start + 50_000_000))
                    .isInstanceOf(SocketTimeoutException.class);
            Await.until(() -> lines.size() == 1, WAIT, "the request went out");
        }

        @Test
        void theCallersDeadlineBoundsTheCheckWhenItComesFirst() throws Exception {
            connectTo(line -> null);
            long start = System.nanoTime();
            assertThatThrownBy(() -> check("+PONG", Duration.ofSeconds(20)).check(socket, start + 200_000_000L))
                    .isInstanceOf(SocketTimeoutException.class);
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertThat(took).as("the caller's 200 ms, not the check's 20 s")
                    .isBetween(Duration.ofMillis(195), Duration.ofSeconds(5));
        }
    }

    @Nested
    class ReplyInPieces {

        @Test
        void aReplyArrivingInPiecesPassesAndItsRestIsDropped() throws Exception {
            connectTo(line -> null); // the test answers by hand
            AtomicReference<Duration> took = new AtomicReference<>();
            Worker checking = Worker.start("checking", () -> {
                long t0 = System.nanoTime();
                check("+PONG-OK", WAIT).check(socket);
                took.set(Duration.ofNanos(System.nanoTime() - t0));
            });
            Await.until(() -> lines.size() == 1, WAIT, "the PING");
            LineServer.Conn conn = server.connection(0, WAIT);
            for (String piece : List.of("+P", "ON", "G-", "OK\r\n")) {
                conn.send(piece.getBytes(US_ASCII));
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(30)); // pieces, not one segment
            }
            checking.join(WAIT);
            assertThat(took.get()).isLessThan(WAIT);
            // the line end after the prefix was dropped: the user's next reply is its own
            socket.getOutputStream().write("mine\r\n".getBytes(US_ASCII));
            conn.send("mine\r\n".getBytes(US_ASCII));
            assertThat(socket.getInputStream().readNBytes(6)).isEqualTo("mine\r\n".getBytes(US_ASCII));
        }

        @Test
        void aReplyThatIsExactlyThePrefixPassesWithNothingToDrop() throws Exception {
            connectTo(line -> "+PONG"); // no line end after it
            long t0 = System.nanoTime();
            check("+PONG", Duration.ofSeconds(20)).check(socket);
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("nothing more is waited for")
                    .isLessThan(Duration.ofSeconds(5));
        }

        @Test
        void aWrongPieceFailsAtOnceWithoutWaitingForTheRest() throws Exception {
            connectTo(line -> null);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Worker checking = Worker.start("checking", () -> failure.set(
                    org.assertj.core.api.Assertions.catchThrowable(() -> check("+PONG", Duration.ofSeconds(20))
                            .check(socket))));
            Await.until(() -> lines.size() == 1, WAIT, "the PING");
            LineServer.Conn conn = server.connection(0, WAIT);
            conn.send("+P".getBytes(US_ASCII));
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(30));
            long t0 = System.nanoTime();
            conn.send("X".getBytes(US_ASCII));
            checking.join(WAIT);
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("not at the 20 s timeout")
                    .isLessThan(Duration.ofSeconds(5));
            assertThat(failure.get()).isInstanceOf(IOException.class)
                    .hasMessage("unexpected reply \"+PX\", expected one starting with \"+PONG\"");
        }
    }

    @Nested
    class FailureMessage {

        @Test
        void aShortWrongReplyIsShownWholeWithItsControlCharactersEscaped() throws Exception {
            connectTo(line -> "-ERR ~\u007f\u001f\r\n");
            assertThatThrownBy(() -> check("+PONG", WAIT).check(socket)).isInstanceOf(IOException.class)
                    .hasMessage("unexpected reply \"-ERR ~\\x7f\\x1f\\r\\n\", expected one starting with \"+PONG\"");
        }

        @Test
        void aLongWrongReplyIsCutSixtyFourBytesAfterThePrefix() throws Exception {
            String reply = "-ERR " + "x".repeat(200) + "\r\n";
            connectTo(line -> reply);
            String shown = reply.substring(0, "+PONG".length() + 64);
            assertThatThrownBy(() -> check("+PONG", WAIT).check(socket)).isInstanceOf(IOException.class)
                    .hasMessage("unexpected reply \"" + shown + "\"..., expected one starting with \"+PONG\"");
        }

        @Test
        void aReplyCutShortByTheEndOfTheStreamSaysWhatCame() throws Exception {
            connectTo(line -> null);
            Worker checking = Worker.start("checking", () -> assertThatThrownBy(() -> check("+PONG", WAIT)
                    .check(socket)).isInstanceOf(java.io.EOFException.class)
                    .hasMessage("peer closed the connection before replying in full; got \"+PO\""));
            Await.until(() -> lines.size() == 1, WAIT, "the PING");
            LineServer.Conn conn = server.connection(0, WAIT);
            conn.send("+PO".getBytes(US_ASCII));
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(30));
            conn.fin();
            checking.join(WAIT);
        }
    }

    /**
     * A socket closed under a running check (a pool closing while its evictor checks): the check
     * fails with the close, not with a timeout or a made-up success, and its failure to put the
     * channel back in blocking mode (closed) is kept beside it, suppressed, not in its place.
     */
    @Test
    void aSocketClosedUnderTheCheckFailsItAndTheFailedRestoreIsKeptSuppressed() throws Exception {
        connectTo(line -> null); // never answers
        Worker closing = Worker.start("closing", () -> {
            Await.until(() -> lines.size() == 1, WAIT, "the PING");
            socket.close();
        });
        Throwable failure = org.assertj.core.api.Assertions.catchThrowable(
                () -> check("+PONG", Duration.ofMillis(500)).check(socket));
        closing.join(WAIT);
        assertThat(failure).as("the close ended the exchange").isInstanceOf(ClosedChannelException.class);
        assertThat(failure.getSuppressed()).as("putting the channel back failed too, and says so")
                .singleElement().isInstanceOf(ClosedChannelException.class);
        assertThat(Thread.currentThread().isInterrupted()).isFalse();
    }

    /** A socket without a channel (not made by TcpConnector): blocking streams, SO_TIMEOUT per read. */
    @Nested
    class SocketWithoutAChannel {

        private Socket connectPlain(java.util.function.UnaryOperator<String> answer) throws IOException {
            server = LineServer.plain(line -> {
                lines.add(line);
                return answer.apply(line);
            });
            socket = new Socket();
            socket.connect(new InetSocketAddress(server.host(), server.port()), 5_000);
            assertThat(socket.getChannel()).isNull();
            return socket;
        }

        @Test
        void passesAndPutsTheUsersTimeoutBack() throws Exception {
            connectPlain(line -> "+PONG\r\n");
            socket.setSoTimeout(4_321);
            check("+PONG", WAIT).check(socket);
            assertThat(socket.getSoTimeout()).isEqualTo(4_321);
            assertThat(lines).containsExactly("PING\r\n");
        }

        /**
         * A socket whose output stream buffers (a factory's wrapper, say): the request is flushed,
         * not left in the buffer while the check waits for a reply that cannot come.
         */
        @Test
        void theRequestIsFlushedThroughAnOutputStreamThatBuffers() throws Exception {
            server = LineServer.plain(line -> {
                lines.add(line);
                return "+PONG\r\n";
            });
            socket = new Socket() {
                private java.io.OutputStream buffered;

                @Override
                public synchronized java.io.OutputStream getOutputStream() throws IOException {
                    if (buffered == null) {
                        buffered = new java.io.BufferedOutputStream(super.getOutputStream(), 8192);
                    }
                    return buffered;
                }
            };
            socket.connect(new InetSocketAddress(server.host(), server.port()), 5_000);
            check("+PONG", WAIT).check(socket);
            assertThat(lines).containsExactly("PING\r\n");
        }

        @Test
        void aWrongReplyFailsAndPutsTheUsersTimeoutBack() throws Exception {
            connectPlain(line -> "-ERR\r\n");
            socket.setSoTimeout(4_321);
            assertThatThrownBy(() -> check("+PONG", WAIT).check(socket)).isInstanceOf(IOException.class)
                    .hasMessageStartingWith("unexpected reply \"-ERR");
            assertThat(socket.getSoTimeout()).isEqualTo(4_321);
        }

        @Test
        void aReadStartedLateWaitsOnlyForWhatIsLeftOfTheTimeout() throws Exception {
            connectPlain(line -> null);
            Duration timeout = Duration.ofSeconds(1);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            AtomicReference<Duration> took = new AtomicReference<>();
            Worker checking = Worker.start("checking", () -> {
                long t0 = System.nanoTime();
                failure.set(org.assertj.core.api.Assertions.catchThrowable(() -> check("+PONG", timeout).check(socket)));
                took.set(Duration.ofNanos(System.nanoTime() - t0));
            });
            Await.until(() -> lines.size() == 1, WAIT, "the PING");
            // one byte at 800 ms, then nothing: the next read may wait 200 ms, not a whole second
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(800)); // the pace is the point
            server.connection(0, WAIT).send("+".getBytes(US_ASCII));
            checking.join(WAIT);
            assertThat(failure.get()).isInstanceOf(SocketTimeoutException.class);
            assertThat(took.get()).as("ends at the check's timeout, not a timeout after the last byte")
                    .isBetween(timeout.minusMillis(5), timeout.plusMillis(600));
        }

        @Test
        void aReplyThatStallsFailsAtTheCheckTimeout() throws Exception {
            connectPlain(line -> "+PO"); // the start of the reply, then nothing
            Duration timeout = Duration.ofMillis(300);
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> check("+PONG", timeout).check(socket))
                    .isInstanceOf(SocketTimeoutException.class);
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isBetween(timeout.minusMillis(5), timeout.plusSeconds(2));
        }

        @Test
        void aReplyTrickledOutFailsAtTheCheckTimeoutThoughEachByteComesInTime() throws Exception {
            connectPlain(line -> null);
            String expect = "+PONG-AND-A-LONG-TAIL"; // 21 bytes, one every 50 ms: about a second
            Duration timeout = Duration.ofMillis(300);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            AtomicReference<Duration> took = new AtomicReference<>();
            Worker checking = Worker.start("checking", () -> {
                long t0 = System.nanoTime();
                failure.set(org.assertj.core.api.Assertions.catchThrowable(() -> check(expect, timeout).check(socket)));
                took.set(Duration.ofNanos(System.nanoTime() - t0));
            });
            Await.until(() -> lines.size() == 1, WAIT, "the PING");
            LineServer.Conn conn = server.connection(0, WAIT);
            for (int i = 0; i < expect.length() && checking.thread().isAlive(); i++) {
                conn.send(new byte[] {(byte) expect.charAt(i)});
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50)); // the pace is the point
            }
            checking.join(WAIT);
            // the read waiting when the time is up times out: the whole reply would have come
            assertThat(failure.get()).as("a whole reply, but after the timeout")
                    .isInstanceOf(SocketTimeoutException.class);
            assertThat(took.get()).isBetween(timeout.minusMillis(5), timeout.plusSeconds(2));
        }
    }

    private static int available(InputStream in) {
        try {
            return in.available();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
