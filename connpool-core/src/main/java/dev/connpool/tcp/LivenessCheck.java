package dev.connpool.tcp;

import dev.connpool.HealthCheck;

import java.io.EOFException;
import java.io.IOException;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import javax.net.ssl.SSLSocket;

/**
 * {@link HealthCheck#liveness()}: a non-blocking read that tells a healthy idle connection (nothing
 * to read) from one whose peer closed it (end of stream), reset it (an exception) or sent bytes
 * nobody read (a protocol out of step). It costs a few system calls and never waits.
 */
public final class LivenessCheck implements HealthCheck {

    /** The check behind {@link HealthCheck#liveness()}. */
    public static final LivenessCheck INSTANCE = new LivenessCheck();

    /** The check behind {@link HealthCheck#none()}. */
    public static final HealthCheck NONE = new HealthCheck() {
        @Override
        public void check(Socket socket) {
        }

        @Override
        public String toString() {
            return "none";
        }
    };

    private static final ThreadLocal<ByteBuffer> ONE_BYTE = ThreadLocal.withInitial(() -> ByteBuffer.allocate(1));

    private LivenessCheck() {
    }

    /**
     * Checks a socket.
     *
     * @param socket an idle pooled socket
     * @throws IOException describing why the connection is dead
     */
    @Override
    public void check(Socket socket) throws IOException {
        if (socket.isClosed()) {
            throw new SocketException("socket is closed");
        }
        if (socket.isInputShutdown() || socket.isOutputShutdown()) {
            throw new SocketException("socket is shut down");
        }
        if (socket instanceof SSLSocket) {
            checkTls((SSLSocket) socket);
            return;
        }
        SocketChannel channel = socket.getChannel();
        if (channel == null) {
            // a plain java.net.Socket: no way to read without blocking, so only unread bytes show
            if (socket.getInputStream().available() > 0) {
                throw unread();
            }
            return;
        }
        ByteBuffer one = ONE_BYTE.get();
        one.clear();
        int n;
        synchronized (channel.blockingLock()) {
            channel.configureBlocking(false);
            try {
                n = channel.read(one);
            } finally {
                channel.configureBlocking(true);
            }
        }
        if (n < 0) {
            throw new EOFException("peer closed the connection");
        }
        if (n > 0) {
            throw unread();
        }
    }

    private static void checkTls(SSLSocket ssl) throws IOException {
        if (ssl.getInputStream().available() > 0) {
            throw unread();
        }
        PeekableSocket raw = TlsSockets.rawOf(ssl);
        if (raw == null) {
            return; // not made by TcpConnector: decrypted bytes were all we could see
        }
        int pending = raw.peek();
        if (pending < 0) {
            throw new EOFException("peer closed the connection");
        }
        if (pending == 0) {
            return;
        }
        // records arrived: let TLS process the whole ones without blocking (PeekableSocket hands
        // it no partial record); post-handshake messages (TLS 1.3 session tickets) vanish,
        // application data or close_notify show
        raw.checking = true;
        try {
            byte[] b = new byte[1];
            int n = ssl.getInputStream().read(b, 0, 1);
            if (n < 0) {
                throw new EOFException("peer closed the TLS session");
            }
            throw unread();
        } catch (SocketTimeoutException expected) {
            // every complete record was consumed and none carried data
        } finally {
            raw.checking = false;
        }
    }

    private static IOException unread() {
        return new IOException("unread bytes from the peer: the protocol is out of step");
    }

    @Override
    public String toString() {
        return "liveness";
    }
}
