package dev.connpool.tcp;

import static dev.connpool.tcp.CheckTiming.ARRIVAL;
import static dev.connpool.tcp.CheckTiming.once;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.connpool.ConnectionFactory;
import dev.connpool.HealthCheck;
import dev.connpool.tcp.CheckTiming.Outcome;
import dev.connpool.testkit.Certificates;
import dev.connpool.testkit.LineServer;
import dev.connpool.testkit.Await;
import dev.connpool.testkit.TestServer;
import dev.connpool.testkit.Threads;
import dev.connpool.testkit.VirtualThreads;
import java.io.EOFException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
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
    /**
     * Scheduling slack on top of a timeout the check is expected to run into: generous for a loaded
     * 2-core CI machine; the lower bounds (never before the timeout) are the sharp ones.
     */
    private static final Duration SLACK = Duration.ofSeconds(2);
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

    /**
     * Interrupts of the checking thread, before the check and while it waits for its reply, over
     * plain TCP and TLS, on platform and virtual threads: the check ends as it would have without
     * the interrupt, the connection stays open and in step, and the thread's flag is set again
     * when the check returns. A blocking channel read or write would have closed the channel.
     */
    @Nested
    class Interrupts {

        private final CountDownLatch pingArrived = new CountDownLatch(1);
        private final CountDownLatch replyReleased = new CountDownLatch(1);

        /** Answers +PONG, but holds each reply until {@link #replyReleased}. */
        private final UnaryOperator<String> heldPong = line -> {
            if (line.equals("PING\r\n")) {
                pingArrived.countDown();
                try {
                    replyReleased.await(20, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return LineServer.PONG.apply(line);
        };

        /** Never answers a PING; echoes other lines. */
        private final UnaryOperator<String> silentToPing = line -> {
            if (line.equals("PING\r\n")) {
                pingArrived.countDown();
                return null;
            }
            return line;
        };

        private LineServer server(boolean tls, UnaryOperator<String> reply) throws Exception {
            return tls ? LineServer.tls(certificates.serverContext(), reply) : LineServer.plain(reply);
        }

        private Socket connect(boolean tls, LineServer server) throws Exception {
            Socket socket = tls
                    ? ConnectionFactory.tls("localhost", server.port(), CONNECT, certificates.clientContext()).create()
                    : ConnectionFactory.tcp("127.0.0.1", server.port(), CONNECT).create();
            socket.setSoTimeout(USER_SO_TIMEOUT);
            return socket;
        }

        @Test
        void plainInterruptWhileWaiting() throws Exception {
            interruptWhileWaitingForTheReply(false, Interrupts::platform);
        }

        @Test
        void tlsInterruptWhileWaiting() throws Exception {
            interruptWhileWaitingForTheReply(true, Interrupts::platform);
        }

        @Test
        void plainInterruptWhileWaitingOnAVirtualThread() throws Exception {
            interruptWhileWaitingForTheReply(false, VirtualThreads.factory());
        }

        @Test
        void tlsInterruptWhileWaitingOnAVirtualThread() throws Exception {
            interruptWhileWaitingForTheReply(true, VirtualThreads.factory());
        }

        @Test
        void plainInterruptBeforeTheCheck() throws Exception {
            interruptBeforeTheCheck(false, Interrupts::platform);
        }

        @Test
        void tlsInterruptBeforeTheCheck() throws Exception {
            interruptBeforeTheCheck(true, Interrupts::platform);
        }

        @Test
        void plainInterruptBeforeTheCheckOnAVirtualThread() throws Exception {
            interruptBeforeTheCheck(false, VirtualThreads.factory());
        }

        @Test
        void tlsInterruptBeforeTheCheckOnAVirtualThread() throws Exception {
            interruptBeforeTheCheck(true, VirtualThreads.factory());
        }

        @Test
        void plainInterruptedCheckWithoutReplyFailsAtItsDeadline() throws Exception {
            interruptedCheckWithoutReplyFailsAtItsDeadline(false);
        }

        @Test
        void tlsInterruptedCheckWithoutReplyFailsAtItsDeadline() throws Exception {
            interruptedCheckWithoutReplyFailsAtItsDeadline(true);
        }

        private void interruptWhileWaitingForTheReply(boolean tls, ThreadFactory threads) throws Exception {
            try (LineServer server = server(tls, heldPong); Socket socket = connect(tls, server)) {
                Checker checker = new Checker(threads, ping(Duration.ofSeconds(5)), socket, false);
                try {
                    awaitPing();
                    checker.interruptAndAwaitItsDeferral();
                } finally {
                    replyReleased.countDown();
                    checker.join();
                }
                Run run = checker.run();
                assertThat(run.failure()).as("check interrupted while waiting for +PONG").isNull();
                assertThat(run.flagAfter()).as("interrupt flag set again when the check returned").isTrue();
                stillOpenAndInStep(socket);
            }
        }

        private void interruptBeforeTheCheck(boolean tls, ThreadFactory threads) throws Exception {
            try (LineServer server = server(tls, heldPong); Socket socket = connect(tls, server)) {
                Checker checker = new Checker(threads, ping(Duration.ofSeconds(5)), socket, true);
                try {
                    awaitPing();
                } finally {
                    replyReleased.countDown();
                    checker.join();
                }
                Run run = checker.run();
                assertThat(run.failure()).as("check on a thread interrupted before it started").isNull();
                assertThat(run.flagAfter()).as("interrupt flag set again when the check returned").isTrue();
                stillOpenAndInStep(socket);
            }
        }

        private void interruptedCheckWithoutReplyFailsAtItsDeadline(boolean tls) throws Exception {
            Duration timeout = Duration.ofMillis(500);
            try (LineServer server = server(tls, silentToPing); Socket socket = connect(tls, server)) {
                Checker checker = new Checker(Interrupts::platform, ping(timeout), socket, false);
                try {
                    awaitPing();
                    checker.interruptAndAwaitItsDeferral();
                } finally {
                    checker.join();
                }
                Run run = checker.run();
                assertThat(run.failure()).as("no reply ever").isInstanceOf(InterruptedIOException.class)
                        .hasMessageContaining("no reply within");
                assertThat(run.elapsed()).as("ends at the check's deadline, not at the interrupt")
                        .isGreaterThanOrEqualTo(timeout)
                        .isLessThan(timeout.plus(SLACK));
                assertThat(run.flagAfter()).as("interrupt flag set again when the check threw").isTrue();
                assertThat(socket.isClosed()).as("the socket, closed by the interrupt").isFalse();
                // the pool closes a connection that failed its check; whether it could go on is
                // not the point here, only that the interrupt did not close it
            }
        }

        @Test
        void checksThatWaitLeaveNoDescriptorBehind() throws Exception {
            Path fds = Path.of("/proc/self/fd");
            assumeTrue(Files.isDirectory(fds), "counts descriptors in /proc/self/fd (Linux)");
            // long enough that the 1 ms the check needs to start is there on a busy machine too
            Duration timeout = Duration.ofMillis(20);
            for (boolean tls : new boolean[] {false, true}) {
                try (LineServer server = server(tls, silentToPing); Socket socket = connect(tls, server)) {
                    HealthCheck check = ping(timeout);
                    once(check, socket); // warm up: whatever the JDK opens once
                    long before = count(fds);
                    for (int i = 0; i < 25; i++) {
                        // each waits past the spin for a reply that never comes, then times out
                        assertThat(once(check, socket).failure()).isInstanceOf(InterruptedIOException.class);
                    }
                    assertThat(count(fds)).as("descriptors after 25 checks that waited (tls=%s): a selector has two", tls)
                            .isLessThan(before + 10);
                    assertThat(socket.isClosed()).isFalse();
                    if (socket.getChannel() != null) {
                        assertThat(socket.getChannel().isBlocking()).as("channel back in blocking mode").isTrue();
                    }
                }
            }
        }

        private long count(Path dir) throws IOException {
            try (Stream<Path> files = Files.list(dir)) {
                return files.count();
            }
        }

        private void awaitPing() throws InterruptedException {
            assertThat(pingArrived.await(ARRIVAL.toMillis(), TimeUnit.MILLISECONDS)).as("the check sent its PING")
                    .isTrue();
        }

        /** Open, still in the mode its streams need, and the next check and user exchange work. */
        private void stillOpenAndInStep(Socket socket) throws IOException {
            assertThat(socket.isClosed()).as("socket closed").isFalse();
            if (socket.getChannel() != null) {
                assertThat(socket.getChannel().isBlocking()).as("channel back in blocking mode").isTrue();
            }
            passesAndLeavesNothingBehind(socket);
        }

        private static Thread platform(Runnable r) {
            return new Thread(r, "checker");
        }
    }

    /** How a check ended on a thread of its own. */
    private record Run(IOException failure, boolean flagAfter, long nanos) {

        Duration elapsed() {
            return Duration.ofNanos(nanos);
        }
    }

    /** Runs one check on a thread of its own, started at once. */
    private static final class Checker {

        private final Thread thread;
        private final CompletableFuture<Run> run = new CompletableFuture<>();

        Checker(ThreadFactory threads, HealthCheck check, Socket socket, boolean interruptFirst) {
            thread = threads.newThread(() -> {
                if (interruptFirst) {
                    Thread.currentThread().interrupt();
                }
                long start = System.nanoTime();
                try {
                    check.check(socket);
                    run.complete(new Run(null, Thread.currentThread().isInterrupted(), System.nanoTime() - start));
                } catch (IOException e) {
                    run.complete(new Run(e, Thread.currentThread().isInterrupted(), System.nanoTime() - start));
                } catch (Throwable t) {
                    run.completeExceptionally(t);
                }
            });
            thread.start();
        }

        /**
         * Interrupts the thread and waits until the check has taken the interrupt in (it clears
         * the flag to wait on) or ended (as a check does whose channel the interrupt closed).
         */
        void interruptAndAwaitItsDeferral() {
            thread.interrupt();
            Await.until(() -> !thread.isInterrupted() || run.isDone(), ARRIVAL,
                    "the check neither took the interrupt in nor ended");
        }

        void join() {
            Threads.join(thread, Duration.ofSeconds(10));
        }

        Run run() throws Exception {
            return run.get(ARRIVAL.toMillis(), TimeUnit.MILLISECONDS);
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
