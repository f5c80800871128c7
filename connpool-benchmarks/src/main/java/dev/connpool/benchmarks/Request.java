package dev.connpool.benchmarks;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.util.Arrays;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/**
 * The work done with a borrowed connection in the saturated scenarios: write 8 bytes to the echo
 * server and read the same 8 back, as a small request/response protocol would. One per thread (and
 * one per virtual thread), so the request's own buffers allocate nothing and are never shared;
 * what the socket's streams allocate is the same for every pool.
 */
@State(Scope.Thread)
public class Request {

    /** Bytes sent and echoed per request. */
    public static final int SIZE = 8;

    private final byte[] sent = {'c', 'o', 'n', 'n', 'p', 'o', 'o', 'l'};
    private final byte[] received = new byte[SIZE];

    /**
     * One round trip on a connection to the echo server.
     *
     * @param socket a connection to an {@link EchoServer}, held by this thread alone
     * @throws IOException on an I/O error, if the server closes, or if the echo differs from what was sent
     */
    public void roundTrip(Socket socket) throws IOException {
        socket.getOutputStream().write(sent);
        InputStream in = socket.getInputStream();
        // TCP may deliver the 8 bytes in more than one read
        for (int n = 0; n < SIZE; ) {
            int r = in.read(received, n, SIZE - n);
            if (r < 0) {
                throw new EOFException("the echo server closed after " + n + " of " + SIZE + " bytes");
            }
            n += r;
        }
        if (!Arrays.equals(sent, received)) {
            throw new IOException("echo returned " + Arrays.toString(received) + " instead of " + Arrays.toString(sent));
        }
    }
}
