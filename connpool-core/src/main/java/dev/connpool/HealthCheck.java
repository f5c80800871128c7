package dev.connpool;

import dev.connpool.tcp.LivenessCheck;
import dev.connpool.tcp.RequestResponseCheck;

import java.io.IOException;
import java.net.Socket;
import java.time.Duration;

/**
 * Decides whether an idle connection may be lent again. The pool runs it on every {@code get}
 * that takes an idle connection, and on idle connections from its evictor. A check passes by
 * returning and fails by throwing; a failed connection is closed and counted under
 * {@link CloseReason#HEALTH}, and {@code get} moves on to the next one.
 *
 * <p>A check must be bounded in time: it runs on the caller's thread, inside its deadline.
 */
@FunctionalInterface
public interface HealthCheck {

    /**
     * Checks one idle connection. A {@link RuntimeException} counts as a failed check too.
     *
     * @param socket the connection's socket, owned by the pool while this runs
     * @throws IOException if the connection must not be used again
     */
    void check(Socket socket) throws IOException;

    /**
     * Checks one idle connection for a caller that needs the answer by a deadline. The pool calls
     * this form, with the deadline of the {@code get} it runs for, so that one deadline bounds
     * everything; a check that waits (a request and its reply) should not wait past it. The default
     * ignores the deadline and calls {@link #check(Socket)}.
     *
     * <p>A check that finds no time left to run should throw {@link HealthCheckSkippedException}:
     * the pool keeps the connection. A check cut short by the deadline once it has started fails,
     * and the connection is closed like any other that failed its check: with a request sent and
     * its reply unread it is out of step.
     *
     * @param socket the connection's socket, owned by the pool while this runs
     * @param deadlineNanos the {@link System#nanoTime()} value by which the caller needs the answer
     * @throws IOException if the connection must not be used again
     */
    default void check(Socket socket, long deadlineNanos) throws IOException {
        check(socket);
    }

    /**
     * No check at all: the fastest {@code get}, for backends whose connections do not go stale.
     *
     * @return the check that always passes
     */
    static HealthCheck none() {
        return LivenessCheck.NONE;
    }

    /**
     * Detects, in microseconds and without waiting on any timeout, a peer that closed the
     * connection (FIN), reset it (RST), or sent bytes nobody read (a protocol left out of step).
     * It reads the socket's channel without blocking, so it needs channel-backed sockets, such as
     * those of {@link ConnectionFactory#tcp(String, int, Duration)}; TLS sockets of
     * {@link ConnectionFactory#tls(String, int, Duration, javax.net.ssl.SSLContext)} are checked
     * below the TLS layer, so session tickets a TLS 1.3 server sends after the handshake are
     * consumed, not mistaken for unread data. On other sockets it can only see unread bytes.
     *
     * @return the liveness check
     */
    static HealthCheck liveness() {
        return LivenessCheck.INSTANCE;
    }

    /**
     * Sends a request and expects a reply that starts with the given bytes within the timeout,
     * after a {@link #liveness()} check. Redis, for instance:
     * {@code requestResponse("PING\r\n".getBytes(), "+PONG".getBytes(), Duration.ofSeconds(1))}.
     * Bytes of the reply that follow the prefix and have already arrived are discarded, so the
     * reply should be short and sent at once.
     *
     * <p>An interrupt of the checking thread does not cut the exchange short or harm the
     * connection: the check clears the interrupt flag while it runs, ends as it would have, and
     * sets the flag again before it returns or throws, for the pool to act on. On sockets of
     * {@link ConnectionFactory#tcp(String, int, Duration)} and
     * {@link ConnectionFactory#tls(String, int, Duration, javax.net.ssl.SSLContext)} its I/O is
     * non-blocking, so an interrupt cannot close the channel; on other sockets it uses their
     * blocking streams, and an interrupt that arrives meanwhile acts on them as the JDK decides.
     *
     * @param request the bytes to send; not empty
     * @param expectedReplyPrefix what the reply must start with; not empty
     * @param timeout the longest the whole exchange may take; positive
     * @return the check
     * @throws IllegalArgumentException if an argument breaks its rule
     */
    static HealthCheck requestResponse(byte[] request, byte[] expectedReplyPrefix, Duration timeout) {
        return new RequestResponseCheck(request, expectedReplyPrefix, timeout);
    }
}
