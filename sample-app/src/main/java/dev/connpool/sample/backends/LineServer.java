package dev.connpool.sample.backends;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;

/**
 * A loopback TCP server that answers every line it reads with one line: the backend of the echo and
 * load-balancer examples. One thread per connection, which is plenty for a pool's handful.
 *
 * <p>It can be stopped and started again on the same port, to play a backend outage. Stopping
 * closes the listening socket and every connection (the pool's idle connections see a FIN) and joins
 * every thread of the server.
 */
public final class LineServer implements AutoCloseable {

    /** Longest line read; a longer one closes the connection. */
    static final int MAX_LINE_BYTES = 64 * 1024;

    private static final Duration JOIN_TIMEOUT = Duration.ofSeconds(5);

    private final String name;
    private final UnaryOperator<String> reply;

    /** The running listener, null while stopped; guarded by {@code this}. */
    private @Nullable Listener listener;

    /** The port of the last start, for {@link #restart()}; guarded by {@code this}. */
    private int port = -1;

    /**
     * Creates a stopped server.
     *
     * @param name its name, for threads and logs
     * @param reply the answer to each line (without its line end)
     */
    public LineServer(String name, UnaryOperator<String> reply) {
        this.name = Objects.requireNonNull(name, "name must not be null");
        this.reply = Objects.requireNonNull(reply, "reply must not be null");
    }

    public String name() {
        return name;
    }

    /**
     * Starts listening on 127.0.0.1.
     *
     * @param port the port, or 0 for any free one
     * @throws IOException if the port cannot be bound
     * @throws IllegalStateException if it is running already
     */
    public synchronized void start(int port) throws IOException {
        if (listener != null) {
            throw new IllegalStateException(name + " is running already");
        }
        ServerSocket server = new ServerSocket();
        try {
            // a restart binds the port again while connections of the last run sit in TIME_WAIT
            server.setReuseAddress(true);
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 50);
        } catch (IOException e) {
            server.close();
            throw e;
        }
        this.port = server.getLocalPort();
        this.listener = new Listener(server);
    }

    /**
     * Starts again on the port of the last start.
     *
     * @throws IOException if the port cannot be bound
     */
    public synchronized void restart() throws IOException {
        if (port < 0) {
            throw new IllegalStateException(name + " was never started");
        }
        start(port);
    }

    /** Stops listening, closes every connection and joins every thread. Does nothing if stopped. */
    public synchronized void stop() {
        if (listener != null) {
            listener.close();
            listener = null;
        }
    }

    @Override
    public void close() {
        stop();
    }

    public synchronized boolean isRunning() {
        return listener != null;
    }

    /**
     * The port it listens on, or last listened on.
     *
     * @return the port, -1 if never started
     */
    public synchronized int port() {
        return port;
    }

    /**
     * Connections open now, as the server sees them.
     *
     * @return 0 while stopped
     */
    public synchronized int openConnections() {
        return listener == null ? 0 : listener.connections.size();
    }

    @Override
    public String toString() {
        return name + "@127.0.0.1:" + port();
    }

    /** One run of the server: a listening socket, its acceptor and its connections. */
    private final class Listener {

        private final ServerSocket server;
        private final Thread acceptor;
        private final Set<Socket> connections = ConcurrentHashMap.newKeySet();
        private final Set<Thread> handlers = ConcurrentHashMap.newKeySet();
        private volatile boolean closed;

        Listener(ServerSocket server) {
            this.server = server;
            this.acceptor = new Thread(this::accept, "sample-backend-" + name + "-acceptor");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        private void accept() {
            while (!closed) {
                Socket socket;
                try {
                    socket = server.accept();
                } catch (IOException e) {
                    if (closed) {
                        return;
                    }
                    continue;
                }
                Thread handler = new Thread(() -> serve(socket), "sample-backend-" + name + "-connection");
                handler.setDaemon(true);
                // close() joins this thread before it closes the connections: none is missed
                connections.add(socket);
                handlers.add(handler);
                handler.start();
            }
        }

        private void serve(Socket socket) {
            try (socket) {
                InputStream in = new BufferedInputStream(socket.getInputStream());
                OutputStream out = socket.getOutputStream();
                for (String line = readLine(in); line != null; line = readLine(in)) {
                    out.write((reply.apply(line) + "\n").getBytes(StandardCharsets.UTF_8));
                    out.flush();
                }
            } catch (IOException e) {
                // the client went away, or the server is stopping
            } finally {
                connections.remove(socket);
                handlers.remove(Thread.currentThread());
            }
        }

        /** A line without its line end ({@code \n} or {@code \r\n}); null at the end of the stream. */
        private @Nullable String readLine(InputStream in) throws IOException {
            ByteArrayOutputStream line = new ByteArrayOutputStream(64);
            for (int b = in.read(); b >= 0; b = in.read()) {
                if (b == '\n') {
                    String s = line.toString(StandardCharsets.UTF_8);
                    return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
                }
                if (line.size() >= MAX_LINE_BYTES) {
                    throw new IOException("line longer than " + MAX_LINE_BYTES + " bytes");
                }
                line.write(b);
            }
            return null;
        }

        void close() {
            closed = true;
            closeQuietly(server);
            join(acceptor);
            for (Socket s : connections) {
                closeQuietly(s);
            }
            for (Thread t : handlers) {
                join(t);
            }
        }

        private void join(Thread t) {
            try {
                t.join(JOIN_TIMEOUT.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        private void closeQuietly(AutoCloseable c) {
            try {
                c.close();
            } catch (Exception e) {
                // closing anyway
            }
        }
    }
}
