package dev.connpool.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.IntPredicate;

/**
 * An in-process TCP proxy between a pool and a loopback backend that misbehaves on command: the
 * network and backend faults a pool has to survive, made real on loopback sockets.
 *
 * <table>
 * <caption>Faults</caption>
 * <tr><th>method</th><th>what the pool's sockets see</th></tr>
 * <tr><td>{@link #resetAll()}</td><td>an RST on every open connection</td></tr>
 * <tr><td>{@link #halfCloseAll()}</td><td>a FIN on every open connection (the proxy keeps reading,
 *     so the connection counts as open until the pool closes its end)</td></tr>
 * <tr><td>{@link #sendToAll(byte[])}</td><td>bytes nobody asked for</td></tr>
 * <tr><td>{@link #reset(IntPredicate)}, {@link #halfClose(IntPredicate)},
 *     {@link #sendTo(IntPredicate, byte[])}</td><td>the same, on the connections chosen by their
 *     client's port only (see {@link #clientPorts()})</td></tr>
 * <tr><td>{@link #blackhole(boolean)}</td><td>connects still succeed (the kernel accepts them), but
 *     nothing is ever answered: bytes in either direction are read and dropped</td></tr>
 * <tr><td>{@link #latency(Duration)}</td><td>every chunk forwarded, either way, is held back at
 *     least that long (so a TLS handshake through the proxy, several round trips, is a slow
 *     connect)</td></tr>
 * <tr><td>{@link #refuse()}</td><td>new connects are refused (the listener is closed:
 *     {@code ECONNREFUSED}); open connections keep working</td></tr>
 * <tr><td>{@link #stop()}</td><td>a crashed backend: refused connects, and every open connection
 *     closed (FIN)</td></tr>
 * <tr><td>{@link #start()}</td><td>the backend is back, on the same port</td></tr>
 * </table>
 *
 * <p>It counts, on its side, the connections it accepted and those still open; a connection stays
 * open until the client closes it or the proxy drops it. Each connection's client side is read all
 * the time (even while blackholed), so a client's close is counted at once. Binds to 127.0.0.1
 * only. {@link #close()} closes everything and joins every thread it started.
 */
public final class FaultProxy extends CountingEndpoint {

    private static final IntPredicate ALL = port -> true;

    private final InetSocketAddress upstream;
    private final Set<Link> links = ConcurrentHashMap.newKeySet();
    private final List<Thread> threads = new ArrayList<>();
    private final AtomicInteger resets = new AtomicInteger();
    private final AtomicLong bytesForwarded = new AtomicLong();
    private final AtomicInteger upstreamFailures = new AtomicInteger();
    private volatile boolean blackhole;
    private volatile long latencyNanos;
    private volatile boolean closed;
    private volatile int port;

    // guarded by this
    private ServerSocket listener;
    private Thread acceptor;

    private FaultProxy(InetSocketAddress upstream) {
        super("proxy-side");
        this.upstream = upstream;
    }

    /**
     * Starts a proxy on a free loopback port that forwards to a loopback backend.
     *
     * @param upstreamPort the backend's port on 127.0.0.1
     */
    public static FaultProxy to(int upstreamPort) throws IOException {
        FaultProxy p = new FaultProxy(new InetSocketAddress(InetAddress.getLoopbackAddress(), upstreamPort));
        p.start();
        return p;
    }

    public String host() {
        return "127.0.0.1";
    }

    /** The proxy's port; the same across {@link #stop()} and {@link #start()}. */
    public int port() {
        return port;
    }

    // ---------------------------------------------------------------------------------------
    // faults
    // ---------------------------------------------------------------------------------------

    /** Resets every open connection (SO_LINGER 0 then close: an RST to the client). */
    public void resetAll() {
        reset(ALL);
    }

    /**
     * Resets the open connections whose client uses one of the given ports.
     *
     * @param clientPort which connections, by the client side's (local) port
     * @return the client ports of the connections reset
     */
    public Set<Integer> reset(IntPredicate clientPort) {
        return each(clientPort, l -> l.drop(true));
    }

    /**
     * Half-closes every open connection from the server side: the client reads end of stream, the
     * proxy keeps reading until the client closes its end.
     */
    public void halfCloseAll() {
        halfClose(ALL);
    }

    /**
     * Half-closes the open connections whose client uses one of the given ports.
     *
     * @param clientPort which connections, by the client side's (local) port
     * @return the client ports of the connections half-closed
     */
    public Set<Integer> halfClose(IntPredicate clientPort) {
        return each(clientPort, Link::halfClose);
    }

    /** Sends the given bytes, unasked, to every open connection's client. */
    public void sendToAll(byte[] bytes) {
        sendTo(ALL, bytes);
    }

    /**
     * Sends the given bytes, unasked, to the open connections whose client uses one of the given ports.
     *
     * @param clientPort which connections, by the client side's (local) port
     * @return the client ports of the connections sent to
     */
    public Set<Integer> sendTo(IntPredicate clientPort, byte[] bytes) {
        return each(clientPort, l -> l.sendToClient(bytes, 0, bytes.length));
    }

    /**
     * The client-side ports of the connections open now: a fault aimed at them spares connections
     * made later (a pool that replaces what a fault killed while the test still waits on it).
     */
    public Set<Integer> clientPorts() {
        return each(ALL, l -> { });
    }

    private Set<Integer> each(IntPredicate clientPort, Consumer<Link> fault) {
        Set<Integer> hit = new TreeSet<>();
        for (Link l : links) {
            if (clientPort.test(l.clientPort)) {
                fault.accept(l);
                hit.add(l.clientPort);
            }
        }
        return hit;
    }

    /** While on, connects succeed but nothing is forwarded in either direction (read and dropped). */
    public void blackhole(boolean on) {
        blackhole = on;
    }

    /** Holds back every forwarded chunk by at least this long; {@link Duration#ZERO} turns it off. */
    public void latency(Duration latency) {
        latencyNanos = latency.toNanos();
    }

    /**
     * Refuses new connects from now on ({@code ECONNREFUSED}); open connections keep working.
     * Connections the kernel completed but the proxy had not accepted yet are reset. Returns once
     * the acceptor has stopped, so every connection accepted before is in reach of later faults.
     */
    public void refuse() {
        Thread a;
        synchronized (this) {
            closeListener();
            a = acceptor;
            acceptor = null;
        }
        if (a != null && a != Thread.currentThread()) {
            try {
                a.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Stops the backend: refuses new connects and closes every open connection (FIN). */
    public void stop() {
        refuse();
        for (Link l : links) {
            l.drop(false);
        }
    }

    /**
     * Starts (again) accepting connects, on the same port as before. Clears blackhole and latency.
     *
     * @throws IOException if the port cannot be bound again
     */
    public synchronized void start() throws IOException {
        if (closed) {
            throw new IllegalStateException("proxy closed");
        }
        if (listener != null) {
            return;
        }
        blackhole = false;
        latencyNanos = 0;
        ServerSocket ss = new ServerSocket();
        ss.setReuseAddress(true);
        ss.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
        port = ss.getLocalPort();
        listener = ss;
        acceptor = spawn(() -> acceptLoop(ss), "fault-proxy-accept-" + port);
    }

    /** Whether new connects are accepted now. */
    public synchronized boolean listening() {
        return listener != null;
    }

    // ---------------------------------------------------------------------------------------
    // counts
    // ---------------------------------------------------------------------------------------

    /** Connections the proxy reset so far ({@link #resetAll()}). */
    public int resets() {
        return resets.get();
    }

    /** Bytes forwarded, both ways. */
    public long bytesForwarded() {
        return bytesForwarded.get();
    }

    /** Connections accepted whose backend connect failed (they were reset at once). */
    public int upstreamFailures() {
        return upstreamFailures.get();
    }

    // ---------------------------------------------------------------------------------------
    // plumbing
    // ---------------------------------------------------------------------------------------

    private void acceptLoop(ServerSocket ss) {
        while (true) {
            Socket client;
            try {
                client = ss.accept();
            } catch (IOException e) {
                return; // listener closed: refuse, stop or close
            }
            Link link = new Link(client);
            links.add(link); // before the counts: a connection counted as accepted is in reach of every fault
            countAcceptedAndOpen();
            if (closed) {
                link.drop(false);
                link.finish();
                return;
            }
            spawn(link::clientToServer, "fault-proxy-c2s-" + port);
        }
    }

    private Thread spawn(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        synchronized (threads) {
            threads.removeIf(x -> !x.isAlive());
            threads.add(t);
        }
        t.start();
        return t;
    }

    private void closeListener() {
        ServerSocket ss = listener;
        listener = null;
        if (ss != null) {
            try {
                ss.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
    }

    private void delay() {
        long nanos = latencyNanos;
        if (nanos > 0) {
            long until = System.nanoTime() + nanos;
            for (long left = nanos; left > 0; left = until - System.nanoTime()) {
                LockSupport.parkNanos(left); // the latency being simulated, not a synchronization
            }
        }
    }

    /** One proxied connection: the client's socket, the backend's, and a thread each way. */
    private final class Link {

        private final Socket client;
        private final int clientPort; // the client side's local port: how a fault picks its connections
        private final Object clientWrite = new Object();
        private final AtomicInteger done = new AtomicInteger();
        private volatile Socket server;

        Link(Socket client) {
            this.client = client;
            this.clientPort = client.getPort();
        }

        /** Connects to the backend, starts the other direction, then pumps client to backend. */
        void clientToServer() {
            try {
                Socket s = new Socket();
                try {
                    s.setTcpNoDelay(true);
                    s.connect(upstream, 5_000);
                } catch (IOException e) {
                    s.close();
                    upstreamFailures.incrementAndGet();
                    drop(true);
                    return;
                }
                server = s;
                if (done.get() != 0) {
                    s.close();
                    return;
                }
                spawn(this::serverToClient, "fault-proxy-s2c-" + port);
                client.setTcpNoDelay(true);
                InputStream in = client.getInputStream();
                OutputStream out = s.getOutputStream();
                byte[] buf = new byte[8192];
                for (;;) {
                    int n = in.read(buf);
                    if (n < 0) {
                        break;
                    }
                    if (blackhole) {
                        continue;
                    }
                    delay();
                    out.write(buf, 0, n);
                    out.flush();
                    bytesForwarded.addAndGet(n);
                }
            } catch (IOException e) {
                // reset or dropped
            } finally {
                finish();
            }
        }

        void serverToClient() {
            try {
                InputStream in = server.getInputStream();
                byte[] buf = new byte[8192];
                for (;;) {
                    int n = in.read(buf);
                    if (n < 0) {
                        break; // the backend closed; the client's close ends the link
                    }
                    if (blackhole) {
                        continue;
                    }
                    delay();
                    sendToClient(buf, 0, n);
                    bytesForwarded.addAndGet(n);
                }
            } catch (IOException e) {
                // the link is going away
            }
        }

        void sendToClient(byte[] b, int off, int len) {
            synchronized (clientWrite) {
                try {
                    OutputStream out = client.getOutputStream();
                    out.write(b, off, len);
                    out.flush();
                } catch (IOException e) {
                    // gone already
                }
            }
        }

        void halfClose() {
            synchronized (clientWrite) {
                try {
                    if (!client.isClosed() && !client.isOutputShutdown()) {
                        client.shutdownOutput();
                    }
                } catch (IOException e) {
                    // gone already
                }
            }
        }

        void drop(boolean reset) {
            if (reset && done.get() == 0) {
                try {
                    client.setSoLinger(true, 0);
                    resets.incrementAndGet();
                } catch (IOException e) {
                    // closed already
                }
            }
            closeQuietly(client);
            closeQuietly(server);
        }

        void finish() {
            if (done.compareAndSet(0, 1)) {
                closeQuietly(client);
                closeQuietly(server);
                countClosed(); // before the removal: a connection gone from clientPorts() is counted closed
                links.remove(this);
            }
        }
    }

    private static void closeQuietly(Socket s) {
        if (s != null) {
            try {
                s.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
    }

    /** Stops accepting, closes every connection and joins every thread. */
    @Override
    public void close() {
        synchronized (this) {
            closed = true;
        }
        refuse();
        for (Link l : links) {
            l.drop(false);
        }
        List<Thread> copy;
        synchronized (threads) {
            copy = new ArrayList<>(threads);
        }
        for (Thread t : copy) {
            try {
                t.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (t.isAlive()) {
                throw new IllegalStateException("fault proxy thread did not end: " + t);
            }
        }
    }

    @Override
    public String toString() {
        return "FaultProxy[127.0.0.1:" + port + " -> " + upstream.getPort() + ", " + counts()
                + (blackhole ? ", blackhole" : "") + (latencyNanos > 0 ? ", latency=" + latencyNanos / 1_000_000 + "ms" : "")
                + "]";
    }
}
