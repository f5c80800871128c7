package dev.connpool.tcp;

import java.io.IOException;
import java.net.Socket;
import java.net.SocketException;
import javax.net.ssl.SSLSocket;

/**
 * Socket operations the pool needs beyond {@link Socket}'s own.
 */
public final class Sockets {

    private Sockets() {
    }

    /**
     * Aborts a connection without waiting for anyone using it: the TCP connection is reset
     * ({@code SO_LINGER} 0) rather than shut down in order, and a TLS socket made by
     * {@link TcpConnector} has the socket below it closed first. {@code SSLSocket.close()} alone
     * waits for the lock of a thread blocked writing to a peer that does not read (JDK 17 to 25);
     * closing the socket below makes that write fail, and a zero linger lets the TLS layer skip its
     * {@code close_notify} instead of waiting for the lock.
     *
     * @param socket the socket to abort; closed when this returns
     * @throws IOException if the final close fails
     */
    public static void abort(Socket socket) throws IOException {
        PeekableSocket below = socket instanceof SSLSocket ? TlsSockets.rawOf((SSLSocket) socket) : null;
        try {
            socket.setSoLinger(true, 0);
        } catch (SocketException | RuntimeException e) {
            // closed already, or a socket that has no such option: close it all the same
        }
        try {
            if (below != null) {
                below.close();
            }
        } finally {
            socket.close();
        }
    }
}
