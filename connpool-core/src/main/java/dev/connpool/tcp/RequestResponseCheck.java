package dev.connpool.tcp;

import dev.connpool.HealthCheck;
import dev.connpool.HealthCheckSkippedException;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;

/**
 * {@link HealthCheck#requestResponse(byte[], byte[], Duration)}: a liveness check, then a request
 * whose reply must start with the expected bytes within the timeout.
 */
public final class RequestResponseCheck implements HealthCheck {

    /** How much more than the prefix a failure message shows of a wrong reply. */
    private static final int MORE_OF_A_WRONG_REPLY = 64;

    /** Less time than this before the caller's deadline, and the exchange is not started. */
    private static final long MIN_EXCHANGE_NANOS = 1_000_000L;

    private final byte[] request;
    private final byte[] expectedReplyPrefix;
    private final Duration timeout;
    private final long timeoutNanos;

    /**
     * Creates the check.
     *
     * @param request the bytes to send; not empty
     * @param expectedReplyPrefix what the reply must start with; not empty
     * @param timeout bound of the whole exchange; positive
     * @throws IllegalArgumentException if an argument breaks its rule
     */
    public RequestResponseCheck(byte[] request, byte[] expectedReplyPrefix, Duration timeout) {
        Objects.requireNonNull(request, "request must not be null");
        Objects.requireNonNull(expectedReplyPrefix, "expectedReplyPrefix must not be null");
        Objects.requireNonNull(timeout, "timeout must not be null");
        if (request.length == 0) {
            throw new IllegalArgumentException("request must not be empty");
        }
        if (expectedReplyPrefix.length == 0) {
            throw new IllegalArgumentException("expectedReplyPrefix must not be empty");
        }
        if (timeout.isZero() || timeout.isNegative()) {
            throw new IllegalArgumentException("timeout must be positive (was " + timeout + ")");
        }
        this.request = request.clone();
        this.expectedReplyPrefix = expectedReplyPrefix.clone();
        this.timeout = timeout;
        this.timeoutNanos = timeout.toNanos();
    }

    /**
     * Runs the exchange within its own timeout.
     *
     * @param socket an idle pooled socket
     * @throws IOException if the connection is dead, the reply differs, or the timeout passes
     */
    @Override
    public void check(Socket socket) throws IOException {
        check(socket, System.nanoTime() + timeoutNanos);
    }

    /**
     * Runs the exchange within its own timeout or by the caller's deadline, whichever comes first.
     * With less than a millisecond left before the deadline it does not start at all.
     *
     * @param socket an idle pooled socket
     * @param deadlineNanos the {@link System#nanoTime()} by which the caller needs the answer
     * @throws HealthCheckSkippedException if the deadline left no time to start
     * @throws IOException if the connection is dead, the reply differs, or time runs out
     */
    @Override
    public void check(Socket socket, long deadlineNanos) throws IOException {
        LivenessCheck.INSTANCE.check(socket);
        long now = System.nanoTime();
        if (deadlineNanos - now < MIN_EXCHANGE_NANOS) {
            // a request sent without time for its reply would leave the connection out of step
            throw new HealthCheckSkippedException("no time left before the caller's deadline to check");
        }
        long own = now + timeoutNanos;
        long deadline = deadlineNanos - own < 0 ? deadlineNanos : own;
        int previousTimeout = socket.getSoTimeout();
        try {
            socket.setSoTimeout(remainingMillis(deadline));
            OutputStream out = socket.getOutputStream();
            out.write(request);
            out.flush();
            InputStream in = socket.getInputStream();
            byte[] reply = new byte[expectedReplyPrefix.length];
            int got = 0;
            while (got < reply.length) {
                socket.setSoTimeout(remainingMillis(deadline));
                int n = in.read(reply, got, reply.length - got);
                if (n < 0) {
                    throw new EOFException("peer closed the connection before replying"
                            + (got == 0 ? "" : " in full; got " + printable(Arrays.copyOf(reply, got))));
                }
                // judged as bytes come in: a wrong reply shorter than the prefix must not wait
                // for the timeout
                if (!Arrays.equals(reply, got, got + n, expectedReplyPrefix, got, got + n)) {
                    throw unexpected(reply, got + n, in);
                }
                got += n;
            }
            // the rest of a short reply (a line end, say) must not be left for the next user
            for (int left = in.available(); left > 0; left = in.available()) {
                if (in.skip(left) <= 0) {
                    break;
                }
            }
        } finally {
            if (!socket.isClosed()) {
                socket.setSoTimeout(previousTimeout);
            }
        }
    }

    /** Names the reply, with whatever of it has already arrived, and what was expected. */
    private IOException unexpected(byte[] reply, int length, InputStream in) {
        byte[] shown = Arrays.copyOf(reply, length + MORE_OF_A_WRONG_REPLY);
        int n = length;
        try {
            // bytes already here come without waiting; the connection is lost anyway
            for (int more = in.available(); more > 0 && n < shown.length; more = in.available()) {
                int r = in.read(shown, n, Math.min(more, shown.length - n));
                if (r <= 0) {
                    break;
                }
                n += r;
            }
        } catch (IOException e) {
            // show what we have
        }
        String truncated = n == shown.length ? "..." : "";
        return new IOException("unexpected reply " + printable(Arrays.copyOf(shown, n)) + truncated
                + ", expected one starting with " + printable(expectedReplyPrefix));
    }

    private int remainingMillis(long deadline) throws SocketTimeoutException {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            throw new SocketTimeoutException("no reply within " + timeout.toMillis() + " ms");
        }
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, (left + 999_999) / 1_000_000));
    }

    private static String printable(byte[] b) {
        StringBuilder sb = new StringBuilder("\"");
        for (char c : new String(b, StandardCharsets.ISO_8859_1).toCharArray()) {
            if (c == '\r') {
                sb.append("\\r");
            } else if (c == '\n') {
                sb.append("\\n");
            } else if (c < 32 || c > 126) {
                sb.append(String.format("\\x%02x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.append('"').toString();
    }

    @Override
    public String toString() {
        // the request is not shown: it may carry a password (AUTH ...)
        return "requestResponse(" + request.length + " bytes -> " + printable(expectedReplyPrefix) + ", "
                + timeout.toMillis() + "ms)";
    }
}
