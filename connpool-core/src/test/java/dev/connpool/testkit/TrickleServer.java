package dev.connpool.testkit;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A loopback server that starts a TLS handshake it never finishes: it sends the header of a large
 * handshake record, then one byte of it at a fixed pace. Each read of a client gets a byte well
 * within any per-read timeout, so only a client that bounds the handshake as a whole gives up.
 * Serves one connection at a time. Binds to 127.0.0.1 only; {@link #close()} joins its thread.
 */
public final class TrickleServer implements AutoCloseable {

    private final ServerSocket server;
    private final Thread thread;
    private final long paceNanos;
    private volatile Socket current;
    private volatile boolean closed;

    public TrickleServer(long pace, TimeUnit unit) throws IOException {
        this.paceNanos = unit.toNanos(pace);
        this.server = new ServerSocket();
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 10);
        this.thread = new Thread(this::run, "trickle-server-" + server.getLocalPort());
        thread.setDaemon(true);
        thread.start();
    }

    public int port() {
        return server.getLocalPort();
    }

    private void run() {
        while (!closed) {
            try (Socket s = server.accept()) {
                current = s;
                OutputStream out = s.getOutputStream();
                // TLS record header: handshake (22), TLS 1.2 on the wire, 16000 bytes to come
                out.write(new byte[] {22, 3, 3, (byte) (16000 >> 8), (byte) (16000 & 0xff)});
                out.flush();
                for (int i = 0; i < 16000 && !closed; i++) {
                    LockSupport.parkNanos(paceNanos); // the pace is the point, not a synchronization
                    out.write(2); // looks like the start of a ServerHello, then filler
                    out.flush();
                }
            } catch (IOException e) {
                // the client gave up, or close()
            }
        }
    }

    @Override
    public void close() throws IOException {
        closed = true;
        server.close();
        Socket s = current;
        if (s != null) {
            s.close();
        }
        thread.interrupt();
        Threads.join(thread, Duration.ofSeconds(10));
    }
}
