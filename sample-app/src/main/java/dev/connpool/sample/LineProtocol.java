package dev.connpool.sample;

import dev.connpool.ConnPool;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * The line protocol of the echo and load-balancer examples: the client sends one line of UTF-8 text
 * ending in {@code \n}, the backend answers with one line. One exchange per lease, so a connection
 * goes back to the pool with nothing unread on it; anything that leaves the protocol out of step (an
 * I/O error, a timeout, bytes past the reply) marks the connection unusable, so the pool closes it
 * instead of lending it again.
 */
public final class LineProtocol {

    /** Longest message and reply, in bytes. */
    public static final int MAX_LINE_BYTES = 4096;

    private LineProtocol() {
    }

    /**
     * Checks a message before anything is sent.
     *
     * @throws BackendException 400 if it is empty, has a line break or is too long
     */
    public static void validate(String message) {
        if (message.isEmpty()) {
            throw BackendException.badRequest("msg must not be empty");
        }
        if (message.indexOf('\n') >= 0 || message.indexOf('\r') >= 0) {
            throw BackendException.badRequest("msg must be one line: no \\r or \\n");
        }
        if (message.getBytes(StandardCharsets.UTF_8).length > MAX_LINE_BYTES) {
            throw BackendException.badRequest("msg must be at most " + MAX_LINE_BYTES + " bytes of UTF-8");
        }
    }

    /**
     * Sends one line through the pool and reads the reply line.
     *
     * @param pool the pool to borrow from
     * @param message the line, without its {@code \n}; see {@link #validate(String)}
     * @param timeout how long the backend has to answer, once the request is out
     * @return the reply, without its line end
     * @throws BackendException 400 for a bad message, 503 if no connection could be had, 502 or 504 if
     *         the exchange failed
     */
    public static String exchange(ConnPool pool, String message, Duration timeout) {
        validate(message);
        byte[] request = (message + "\n").getBytes(StandardCharsets.UTF_8);
        return PooledExchange.over(pool, conn -> {
            long deadline = System.nanoTime() + timeout.toNanos();
            OutputStream out = conn.getOutputStream();
            out.write(request);
            out.flush();
            return readLine(conn.socket(), conn.getInputStream(), deadline, timeout);
        });
    }

    /** Reads up to and including {@code \n}; nothing may follow it. */
    private static String readLine(Socket socket, InputStream in, long deadline, Duration timeout)
            throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(64);
        byte[] buf = new byte[512];
        for (;;) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new SocketTimeoutException("no reply within " + timeout.toMillis() + " ms");
            }
            socket.setSoTimeout((int) Math.max(1, Math.min(Integer.MAX_VALUE, left / 1_000_000)));
            int n = in.read(buf);
            if (n < 0) {
                throw new EOFException("the backend closed the connection before it replied in full");
            }
            for (int i = 0; i < n; i++) {
                if (buf[i] == '\n') {
                    if (i != n - 1) {
                        throw new IOException("protocol error: the backend sent more than one line");
                    }
                    line.write(buf, 0, i);
                    return stripCr(line.toString(StandardCharsets.UTF_8));
                }
            }
            line.write(buf, 0, n);
            if (line.size() > MAX_LINE_BYTES) {
                throw new IOException("protocol error: reply longer than " + MAX_LINE_BYTES + " bytes");
            }
        }
    }

    private static String stripCr(String s) {
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
    }
}
