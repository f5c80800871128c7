package dev.connpool.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import javax.net.ServerSocketFactory;

/**
 * A loopback TCP server for tests that counts, on the server side, every connection it accepted
 * and every one still open (a connection stays open until the client closes it or the server
 * drops it). Each connection gets a thread that reads all the time, so a client close is seen at
 * once. By default it echoes; {@link Mode#SILENT} reads and never answers.
 *
 * <p>Binds to 127.0.0.1 only. {@link #close()} closes everything and joins every thread.
 */
public final class TestServer extends CountingEndpoint {

    /** What the server does with bytes it reads. */
    public enum Mode {
        /** Writes every byte back. */
        ECHO,
        /** Reads and discards, never answers. */
        SILENT
    }

    private final ServerSocket server;
    private final Thread acceptor;
    private final Set<Conn> conns = ConcurrentHashMap.newKeySet();
    private final List<Thread> handlers = new ArrayList<>();
    private final AtomicLong bytesIn = new AtomicLong();
    private volatile Mode mode;
    private volatile boolean closed;

    private TestServer(ServerSocket server, Mode mode) {
        super("server-side");
        this.server = server;
        this.mode = mode;
        this.acceptor = new Thread(this::acceptLoop, "test-server-" + server.getLocalPort());
        this.acceptor.setDaemon(true);
        this.acceptor.start();
    }

    /** An echo server on a free loopback port. */
    public static TestServer echo() throws IOException {
        return start(Mode.ECHO, 0, null);
    }

    /** A server in the given mode on a free loopback port. */
    public static TestServer start(Mode mode) throws IOException {
        return start(mode, 0, null);
    }

    /**
     * A server on a given port (0 for any), plain or with the given factory (TLS, for instance).
     */
    public static TestServer start(Mode mode, int port, ServerSocketFactory factory) throws IOException {
        ServerSocket ss = factory == null ? new ServerSocket() : factory.createServerSocket();
        ss.setReuseAddress(true);
        ss.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
        return new TestServer(ss, mode);
    }

    public int port() {
        return server.getLocalPort();
    }

    public String host() {
        return "127.0.0.1";
    }

    public void mode(Mode mode) {
        this.mode = mode;
    }

    public long bytesIn() {
        return bytesIn.get();
    }

    /** Closes every connection from the server side with a FIN. */
    public void finAll() {
        for (Conn c : conns) {
            c.drop(false);
        }
    }

    /** Resets every connection from the server side (SO_LINGER 0, so an RST). */
    public void resetAll() {
        for (Conn c : conns) {
            c.drop(true);
        }
    }

    /** Sends bytes nobody asked for on every connection. */
    public void sendToAll(byte[] bytes) throws IOException {
        for (Conn c : conns) {
            c.send(bytes);
        }
    }

    private void acceptLoop() {
        while (!closed) {
            Socket s;
            try {
                s = server.accept();
            } catch (IOException e) {
                if (closed) {
                    return;
                }
                continue;
            }
            if (closed) {
                try {
                    s.close();
                } catch (IOException e) {
                    // closing anyway
                }
                return;
            }
            // listed before counted: whoever saw the count can reach the connection (finAll, ...)
            Conn c = new Conn(s);
            conns.add(c);
            countAcceptedAndOpen();
            Thread t = new Thread(c, "test-server-conn-" + port());
            t.setDaemon(true);
            synchronized (handlers) {
                handlers.add(t);
            }
            t.start();
        }
    }

    private final class Conn implements Runnable {

        private final Socket socket;
        private final AtomicInteger done = new AtomicInteger();

        Conn(Socket socket) {
            this.socket = socket;
        }

        @Override
        public void run() {
            byte[] buf = new byte[8192];
            try (InputStream in = socket.getInputStream()) {
                OutputStream out = socket.getOutputStream();
                for (;;) {
                    int n = in.read(buf);
                    if (n < 0) {
                        break;
                    }
                    bytesIn.addAndGet(n);
                    if (mode == Mode.ECHO) {
                        out.write(buf, 0, n);
                        out.flush();
                    }
                }
            } catch (IOException e) {
                // reset or dropped
            } finally {
                finish();
            }
        }

        void drop(boolean reset) {
            try {
                if (reset) {
                    socket.setSoLinger(true, 0);
                }
                socket.close();
            } catch (IOException e) {
                // closing anyway
            }
        }

        void send(byte[] bytes) throws IOException {
            try {
                OutputStream out = socket.getOutputStream();
                out.write(bytes);
                out.flush();
            } catch (SocketException e) {
                // gone already
            }
        }

        private void finish() {
            if (done.compareAndSet(0, 1)) {
                try {
                    socket.close();
                } catch (IOException e) {
                    // closing anyway
                }
                conns.remove(this);
                countClosed();
            }
        }
    }

    /** Stops accepting, closes every connection and joins every thread. */
    @Override
    public void close() throws IOException {
        closed = true;
        server.close();
        join(acceptor);
        finAll();
        List<Thread> copy;
        synchronized (handlers) {
            copy = new ArrayList<>(handlers);
        }
        for (Thread t : copy) {
            join(t);
        }
    }

    private static void join(Thread t) {
        Threads.join(t, Duration.ofSeconds(10));
    }

    /** Waits for a condition, for test code that is not about a server. */
    public static void awaitCondition(BooleanSupplier condition, Duration timeout, String what) {
        Await.until(condition, timeout, () -> what);
    }
}
