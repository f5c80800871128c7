package dev.connpool.tcp;

import dev.connpool.HealthCheck;
import dev.connpool.HealthCheckSkippedException;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import javax.net.ssl.SSLSocket;

/**
 * {@link HealthCheck#requestResponse(byte[], byte[], Duration)}: a liveness check, then a request
 * whose reply must start with the expected bytes within the timeout.
 *
 * <p>It runs on the thread of the caller of {@code get}, which may be interrupted at any time. An
 * interrupt must not destroy a healthy connection, so on sockets made by {@link TcpConnector} the
 * check never blocks in a channel operation (which an interrupt would close): it polls the
 * channel in non-blocking mode and defers the interrupt to its end (see
 * {@link #check(Socket, long)}).
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
     * <p>Interrupts are deferred, not acted on: the thread's interrupt flag is cleared while the
     * check runs and set again before it returns or throws if it was set at the start or an
     * interrupt arrived meanwhile. An interrupt says the caller wants to stop, nothing about the
     * connection, and the caller (the pool) decides what to do with the flag set; the exchange
     * still ends by its deadline as it would have. On sockets made by {@link TcpConnector} (and
     * any other plain socket with a {@link SocketChannel}) the I/O is non-blocking and polled, so
     * an interrupt cannot close the channel. On other sockets the check uses their blocking
     * streams with {@code SO_TIMEOUT}, and an interrupt that arrives during a read is handled as
     * the JDK handles it for that socket (a virtual thread's socket is closed by it, for instance,
     * and the check fails).
     *
     * @param socket an idle pooled socket
     * @param deadlineNanos the {@link System#nanoTime()} by which the caller needs the answer
     * @throws HealthCheckSkippedException if the deadline left no time to start
     * @throws IOException if the connection is dead, the reply differs, or time runs out
     */
    @Override
    public void check(Socket socket, long deadlineNanos) throws IOException {
        boolean interrupted = Thread.interrupted();
        PollWait wait = null;
        try {
            LivenessCheck.INSTANCE.check(socket);
            long now = System.nanoTime();
            if (deadlineNanos - now < MIN_EXCHANGE_NANOS) {
                // a request sent without time for its reply would leave the connection out of step
                throw new HealthCheckSkippedException("no time left before the caller's deadline to check");
            }
            long own = now + timeoutNanos;
            long deadline = deadlineNanos - own < 0 ? deadlineNanos : own;
            wait = new PollWait(deadline, "no reply within " + timeout.toMillis() + " ms");
            SocketChannel channel = socket.getChannel();
            PeekableSocket raw = socket instanceof SSLSocket ? TlsSockets.rawOf((SSLSocket) socket) : null;
            if (channel != null && !(socket instanceof SSLSocket)) {
                exchangeOnChannel(channel, wait);
            } else if (raw != null) {
                exchangeOnTls(socket, raw, wait);
            } else {
                exchangeOnStreams(socket, deadline);
            }
        } finally {
            if (interrupted || (wait != null && wait.interrupted())) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Plain TCP on a channel: the channel goes non-blocking for the exchange, so an interrupt
     * cannot close it, and back to blocking (as its socket's streams need) whatever happens.
     */
    private void exchangeOnChannel(SocketChannel channel, PollWait wait) throws IOException {
        boolean wasBlocking;
        // the pool owns the socket while it checks it, so nobody switches the mode back meanwhile;
        // the lock is held for the switches only: holding a monitor while waiting would pin a
        // virtual thread to its carrier on JDK 21 to 23
        synchronized (channel.blockingLock()) {
            wasBlocking = channel.isBlocking();
            channel.configureBlocking(false);
        }
        Throwable failure = null;
        try {
            exchange(new ChannelIo(channel, wait));
        } catch (IOException | RuntimeException | Error e) {
            failure = e;
            throw e;
        } finally {
            restore(failure, () -> {
                try {
                    wait.close(); // deregisters the channel from its selector: a registered one cannot block
                } finally {
                    synchronized (channel.blockingLock()) {
                        channel.configureBlocking(wasBlocking);
                    }
                }
            });
        }
    }

    /**
     * TLS over a {@link PeekableSocket}: the TLS layer reads and writes through it, and it polls
     * the non-blocking channel while the exchange runs.
     */
    private void exchangeOnTls(Socket socket, PeekableSocket raw, PollWait wait) throws IOException {
        raw.pollUntil(wait);
        Throwable failure = null;
        try {
            exchange(new StreamIo(socket.getInputStream(), socket.getOutputStream()));
        } catch (IOException | RuntimeException | Error e) {
            failure = e;
            throw e;
        } finally {
            restore(failure, raw::endPolling);
        }
    }

    /** Any other socket: its blocking streams, each read bounded by the time left. */
    private void exchangeOnStreams(Socket socket, long deadline) throws IOException {
        int previousTimeout = socket.getSoTimeout();
        try {
            socket.setSoTimeout(remainingMillis(deadline));
            InputStream in = socket.getInputStream();
            exchange(new StreamIo(in, socket.getOutputStream()) {
                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    socket.setSoTimeout(remainingMillis(deadline));
                    return super.read(b, off, len);
                }
            });
        } finally {
            if (!socket.isClosed()) {
                socket.setSoTimeout(previousTimeout);
            }
        }
    }

    /** Runs a step that puts the socket back as it was, without hiding why the exchange failed. */
    private static void restore(Throwable failure, IoStep step) throws IOException {
        try {
            step.run();
        } catch (IOException | RuntimeException e) {
            if (failure == null) {
                throw e; // the socket cannot go back as it was: the check fails
            }
            failure.addSuppressed(e);
        }
    }

    /** The request, then the reply judged as it comes in, then the rest of a short reply dropped. */
    private void exchange(Io io) throws IOException {
        io.send(request);
        byte[] reply = new byte[expectedReplyPrefix.length];
        int got = 0;
        while (got < reply.length) {
            int n = io.read(reply, got, reply.length - got);
            if (n < 0) {
                throw new EOFException("peer closed the connection before replying"
                        + (got == 0 ? "" : " in full; got " + printable(Arrays.copyOf(reply, got))));
            }
            // judged as bytes come in: a wrong reply shorter than the prefix must not wait
            // for the timeout
            if (!Arrays.equals(reply, got, got + n, expectedReplyPrefix, got, got + n)) {
                throw unexpected(reply, got + n, io);
            }
            got += n;
        }
        // the rest of a short reply (a line end, say) must not be left for the next user
        io.discardArrived();
    }

    /** A step that may fail with an {@link IOException}. */
    @FunctionalInterface
    private interface IoStep {
        void run() throws IOException;
    }

    /** The I/O of one exchange, whatever the socket. */
    private interface Io {

        /** Sends all of {@code b}. */
        void send(byte[] b) throws IOException;

        /** Reads at least one byte, waiting until the deadline; -1 at the end of the stream. */
        int read(byte[] b, int off, int len) throws IOException;

        /** Reads what has arrived without waiting: 0 if nothing, -1 at the end of the stream. */
        int readArrived(byte[] b, int off, int len) throws IOException;

        /** Drops whatever has arrived, without waiting. */
        void discardArrived() throws IOException;
    }

    /** Blocking streams (or, for TLS, streams over a polling {@link PeekableSocket}). */
    private static class StreamIo implements Io {

        private final InputStream in;
        private final OutputStream out;

        StreamIo(InputStream in, OutputStream out) {
            this.in = in;
            this.out = out;
        }

        @Override
        public void send(byte[] b) throws IOException {
            out.write(b);
            out.flush();
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            return in.read(b, off, len);
        }

        @Override
        public int readArrived(byte[] b, int off, int len) throws IOException {
            int more = in.available();
            return more <= 0 ? 0 : in.read(b, off, Math.min(more, len));
        }

        @Override
        public void discardArrived() throws IOException {
            for (int left = in.available(); left > 0; left = in.available()) {
                if (in.skip(left) <= 0) {
                    break;
                }
            }
        }
    }

    /** A channel in non-blocking mode, polled with a {@link PollWait} in between. */
    private static final class ChannelIo implements Io {

        private final SocketChannel channel;
        private final PollWait wait;

        ChannelIo(SocketChannel channel, PollWait wait) {
            this.channel = channel;
            this.wait = wait;
        }

        @Override
        public void send(byte[] b) throws IOException {
            wait.writeFully(channel, ByteBuffer.wrap(b));
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            ByteBuffer dst = ByteBuffer.wrap(b, off, len);
            for (;;) {
                int n = channel.read(dst);
                if (n != 0) {
                    wait.progressed();
                    return n;
                }
                wait.pause(channel, SelectionKey.OP_READ);
            }
        }

        @Override
        public int readArrived(byte[] b, int off, int len) throws IOException {
            return channel.read(ByteBuffer.wrap(b, off, len));
        }

        @Override
        public void discardArrived() throws IOException {
            ByteBuffer scratch = ByteBuffer.allocate(256);
            while (channel.read(scratch) > 0) {
                scratch.clear();
            }
        }
    }

    /** Names the reply, with whatever of it has already arrived, and what was expected. */
    private IOException unexpected(byte[] reply, int length, Io io) {
        byte[] shown = Arrays.copyOf(reply, length + MORE_OF_A_WRONG_REPLY);
        int n = length;
        try {
            // bytes already here come without waiting; the connection is lost anyway
            while (n < shown.length) {
                int r = io.readArrived(shown, n, shown.length - n);
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
