package dev.connpool.benchmarks;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The backend every pool in a benchmark connects to: an echo server on 127.0.0.1 (never any other
 * address), one blocking thread per connection. Handler threads are reused, so a benchmark that
 * opens a connection per request measures the connect, not the server's thread creation.
 */
public final class EchoServer implements AutoCloseable {

    /** The byte sent in a round trip. */
    public static final int PING = 42;

    private final ServerSocket server;
    private final ExecutorService handlers = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "echo-handler");
        t.setDaemon(true);
        return t;
    });
    private final Set<Socket> accepted = ConcurrentHashMap.newKeySet();
    private final Thread acceptor;
    private volatile boolean closed;

    private EchoServer(ServerSocket server) {
        this.server = server;
        this.acceptor = new Thread(this::acceptLoop, "echo-acceptor");
        this.acceptor.setDaemon(true);
        this.acceptor.start();
    }

    /**
     * Starts a server on an ephemeral port of the loopback address.
     *
     * @return the running server
     * @throws IOException if it cannot bind
     */
    public static EchoServer start() throws IOException {
        ServerSocket s = new ServerSocket();
        s.setReuseAddress(true);
        s.bind(new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), 0), 4096);
        return new EchoServer(s);
    }

    /** @return the address it is bound to, 127.0.0.1 */
    public String host() {
        return server.getInetAddress().getHostAddress();
    }

    /** @return its port */
    public int port() {
        return server.getLocalPort();
    }

    private void acceptLoop() {
        while (!closed) {
            Socket s;
            try {
                s = server.accept();
            } catch (IOException e) {
                return; // closed
            }
            try {
                s.setTcpNoDelay(true);
                accepted.add(s);
                handlers.execute(() -> echo(s));
            } catch (IOException | RejectedExecutionException e) {
                closeQuietly(s);
            }
        }
    }

    private void echo(Socket s) {
        byte[] buf = new byte[512];
        try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
            int n;
            while ((n = in.read(buf)) >= 0) {
                out.write(buf, 0, n);
            }
        } catch (IOException e) {
            // the client went away or the server is closing
        } finally {
            accepted.remove(s);
        }
    }

    /**
     * One request/response on a connection: writes {@link #PING}, reads the echo.
     *
     * @param socket a connection to an echo server
     * @return the byte read back
     * @throws IOException on an I/O error, or if the echo is not the byte sent
     */
    public static int roundTrip(Socket socket) throws IOException {
        socket.getOutputStream().write(PING);
        int b = socket.getInputStream().read();
        if (b != PING) {
            throw new IOException("echo returned " + b + " instead of " + PING);
        }
        return b;
    }

    @Override
    public void close() {
        closed = true;
        closeQuietly(server);
        for (Socket s : accepted) {
            closeQuietly(s);
        }
        handlers.shutdownNow();
        try {
            acceptor.join(5_000);
            handlers.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            // nothing to do about it in a benchmark's teardown
        }
    }
}
