package dev.connpool.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.connpool.AcquireTimeoutException;
import dev.connpool.ConnPool;
import dev.connpool.ConnectFailedException;
import dev.connpool.PooledConnection;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/** Round trips over an echo backend, and the "no leaked room" check, for any suite. */
public final class Echo {

    private static final AtomicLong TOKENS = new AtomicLong();

    private Echo() {
    }

    /**
     * Writes a token unique to this call and reads exactly it back, within a second.
     *
     * @throws IOException if the connection is dead or the reply differs
     */
    public static void roundTrip(Socket socket) throws IOException {
        byte[] token = ("token-" + TOKENS.incrementAndGet() + "\n").getBytes(StandardCharsets.US_ASCII);
        socket.setSoTimeout(1_000);
        OutputStream out = socket.getOutputStream();
        out.write(token);
        out.flush();
        InputStream in = socket.getInputStream();
        byte[] got = new byte[token.length];
        for (int n = 0; n < got.length;) {
            int r = in.read(got, n, got.length - n);
            if (r < 0) {
                throw new EOFException("end of stream after " + n + " bytes of the reply");
            }
            n += r;
        }
        if (!new String(got, StandardCharsets.US_ASCII).equals(new String(token, StandardCharsets.US_ASCII))) {
            throw new IOException("reply " + new String(got, StandardCharsets.US_ASCII).trim() + " to "
                    + new String(token, StandardCharsets.US_ASCII).trim());
        }
    }

    public static void roundTrip(PooledConnection c) throws IOException {
        roundTrip(c.socket());
    }

    /**
     * Gets until a get succeeds (each {@code get(100 ms)}; refusals and timeouts retried), within the
     * bound: for a pool that backs off after failed connects and serves again once the backend is back.
     *
     * @return the connection got, open
     * @throws AssertionError if none was had within the bound
     */
    public static PooledConnection awaitServed(ConnPool pool, Duration bound) {
        PooledConnection[] got = new PooledConnection[1];
        Await.until(() -> {
            try {
                got[0] = pool.get(Duration.ofMillis(100));
                return true;
            } catch (ConnectFailedException | AcquireTimeoutException notYet) {
                return false;
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }, bound, () -> "not served: " + pool.stats());
        return got[0];
    }

    /**
     * "No leaked room": lends {@code maxSize} connections at once, each a distinct, working socket,
     * then gives them all back.
     */
    public static void assertFullyUsable(ConnPool pool) throws IOException {
        int max = pool.config().maxSize();
        List<PooledConnection> held = new ArrayList<>();
        Set<Socket> sockets = Collections.newSetFromMap(new IdentityHashMap<>());
        try {
            for (int i = 0; i < max; i++) {
                PooledConnection c = pool.get(Duration.ofSeconds(5));
                held.add(c);
                assertThat(sockets.add(c.socket())).as("socket lent twice: " + c).isTrue();
                roundTrip(c);
            }
            assertThat(pool.stats().active()).isEqualTo(max);
            assertThat(pool.stats().size()).isEqualTo(max);
        } finally {
            held.forEach(PooledConnection::close);
        }
    }
}
