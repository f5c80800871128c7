package dev.connpool.testkit;

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
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * A loopback server, plain or TLS 1.3, that answers each line it reads ({@code \n} included) with
 * what a reply function returns ({@code null}: no answer). Unlike {@link TestServer} it hands tests
 * the server side of each {@link Conn connection}, to misbehave with below the TLS layer: a FIN
 * without close_notify, an RST, or a TLS record of which only the first bytes go out.
 *
 * <p>TLS runs as an {@link SSLSocket} layered over the accepted plain socket, so the plain socket
 * stays reachable; as any JDK TLS 1.3 server, it sends a session ticket right after the handshake.
 * Binds to 127.0.0.1 (or ::1) only. {@link #close()} closes every connection and joins every thread.
 */
public final class LineServer extends CountingEndpoint {

    /** Answers {@code PING\r\n} with {@code +PONG\r\n} and echoes every other line, like Redis. */
    public static final UnaryOperator<String> PONG = line -> line.equals("PING\r\n") ? "+PONG\r\n" : line;

    /** Echoes every line. */
    public static final UnaryOperator<String> ECHO = line -> line;

    /** Never answers. */
    public static final UnaryOperator<String> SILENT = line -> null;

    private final ServerSocket server;
    private final SSLContext tls;
    private final UnaryOperator<String> reply;
    private final Thread acceptor;
    private final List<Conn> conns = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    private LineServer(InetAddress address, SSLContext tls, UnaryOperator<String> reply) throws IOException {
        super("server-side");
        this.tls = tls;
        this.reply = reply;
        this.server = new HoldingServerSocket();
        server.bind(new InetSocketAddress(address, 0), 50);
        this.acceptor = new Thread(this::acceptLoop, "line-server-" + server.getLocalPort());
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** A plain TCP server. */
    public static LineServer plain(UnaryOperator<String> reply) throws IOException {
        return new LineServer(InetAddress.getLoopbackAddress(), null, reply);
    }

    /** A TLS 1.3 server presenting the certificate of {@code serverContext}. */
    public static LineServer tls(SSLContext serverContext, UnaryOperator<String> reply) throws IOException {
        return new LineServer(InetAddress.getLoopbackAddress(), serverContext, reply);
    }

    /** A TLS 1.3 server on the IPv6 loopback address {@code ::1}. */
    public static LineServer tlsOnIpv6Loopback(SSLContext serverContext, UnaryOperator<String> reply)
            throws IOException {
        return new LineServer(InetAddress.getByName("::1"), serverContext, reply);
    }

    /** The address it listens on, as a literal: {@code 127.0.0.1}, or {@code ::1}. */
    public String host() {
        return server.getInetAddress().getHostAddress().replace("0:0:0:0:0:0:0:1", "::1");
    }

    public int port() {
        return server.getLocalPort();
    }

    /** The server side of the {@code index}-th accepted connection (0 first), waiting for it. */
    public Conn connection(int index, Duration timeout) {
        Await.until(() -> conns.size() > index, timeout, () -> "connection " + index + " was not accepted");
        return conns.get(index);
    }

    private void acceptLoop() {
        while (!closed) {
            HoldingSocket raw;
            try {
                raw = (HoldingSocket) server.accept();
            } catch (IOException e) {
                if (closed) {
                    return;
                }
                continue;
            }
            countAcceptedAndOpen();
            Conn c = new Conn(raw);
            conns.add(c);
            c.thread.start();
        }
    }

    /** Stops accepting, closes every connection and joins every thread. */
    @Override
    public void close() throws IOException {
        closed = true;
        server.close();
        join(acceptor);
        for (Conn c : conns) {
            c.closeQuietly();
        }
        for (Conn c : conns) {
            join(c.thread);
        }
    }

    private static void join(Thread t) {
        Threads.join(t, Duration.ofSeconds(10));
    }

    /** The server side of one connection. */
    public final class Conn implements Runnable {

        private final HoldingSocket raw;
        private final Thread thread;
        private final CountDownLatch handshaken = new CountDownLatch(1);
        private volatile Socket socket; // the TLS socket over raw, or raw itself
        private volatile List<SNIServerName> requestedServerNames = List.of();
        private volatile String protocol;
        private volatile IOException failure;

        Conn(HoldingSocket raw) {
            this.raw = raw;
            this.socket = raw;
            this.thread = new Thread(this, "line-server-conn-" + port());
            thread.setDaemon(true);
        }

        @Override
        public void run() {
            try {
                if (tls != null) {
                    SSLSocket ssl = (SSLSocket) tls.getSocketFactory().createSocket(raw, null, true);
                    ssl.setEnabledProtocols(new String[] {"TLSv1.3"});
                    socket = ssl;
                    ssl.startHandshake();
                    requestedServerNames = ((ExtendedSSLSession) ssl.getSession()).getRequestedServerNames();
                    protocol = ssl.getSession().getProtocol();
                }
                handshaken.countDown();
                serve(socket.getInputStream());
            } catch (IOException e) {
                failure = e; // a client that went away, or a failed handshake
            } finally {
                handshaken.countDown();
                closeQuietly();
                countClosed();
            }
        }

        private void serve(InputStream in) throws IOException {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            for (int b = in.read(); b >= 0; b = in.read()) {
                line.write(b);
                if (b == '\n') {
                    String answer = reply.apply(line.toString(StandardCharsets.ISO_8859_1));
                    line.reset();
                    if (answer != null) {
                        send(answer.getBytes(StandardCharsets.ISO_8859_1));
                    }
                }
            }
        }

        /** Waits until the TLS handshake is over on this side (at once for plain TCP). */
        public void awaitHandshake(Duration timeout) throws InterruptedException {
            if (!handshaken.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError("no handshake within " + timeout.toMillis() + " ms");
            }
        }

        /** The SNI names the client sent; after {@link #awaitHandshake(Duration)}. */
        public List<SNIServerName> requestedServerNames() {
            return requestedServerNames;
        }

        /** The negotiated TLS protocol, null for plain TCP or before the handshake. */
        public String protocol() {
            return protocol;
        }

        /** Why this connection ended on the server side, if by an exception. */
        public IOException failure() {
            return failure;
        }

        /** Sends bytes nobody asked for (as TLS application data on a TLS connection). */
        public void send(byte[] bytes) throws IOException {
            synchronized (this) {
                OutputStream out = socket.getOutputStream();
                out.write(bytes);
                out.flush();
            }
        }

        /**
         * Sends bytes but lets only the first {@code wireBytes} bytes of what goes on the wire out
         * (for TLS: part of a record), holding the rest until {@link #release()}.
         */
        public void sendHoldingBack(byte[] bytes, int wireBytes) throws IOException {
            synchronized (this) {
                ((HoldingOutputStream) raw.getOutputStream()).holdAfter(wireBytes);
                send(bytes);
            }
        }

        /** Sends what {@link #sendHoldingBack(byte[], int)} held back. */
        public void release() throws IOException {
            ((HoldingOutputStream) raw.getOutputStream()).release();
        }

        /** A TLS close: close_notify, then FIN (plain TCP: a FIN). */
        public void closeTls() throws IOException {
            socket.close();
        }

        /** A FIN below TLS, without close_notify; the connection stays open for reading. */
        public void fin() throws IOException {
            raw.shutdownOutput();
        }

        /** An RST below TLS (SO_LINGER 0), without close_notify. */
        public void reset() throws IOException {
            raw.setSoLinger(true, 0);
            raw.close();
        }

        void closeQuietly() {
            try {
                raw.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
    }

    /** Accepts into {@link HoldingSocket}s. */
    private static final class HoldingServerSocket extends ServerSocket {

        HoldingServerSocket() throws IOException {
            super();
        }

        @Override
        public Socket accept() throws IOException {
            HoldingSocket s = new HoldingSocket();
            implAccept(s);
            return s;
        }
    }

    /** A plain socket whose output can hold bytes back. */
    private static final class HoldingSocket extends Socket {

        private HoldingOutputStream out;

        @Override
        public synchronized OutputStream getOutputStream() throws IOException {
            if (out == null) {
                out = new HoldingOutputStream(super.getOutputStream());
            }
            return out;
        }
    }

    /** Passes a budget of bytes on, then keeps the rest until released. */
    private static final class HoldingOutputStream extends OutputStream {

        private final OutputStream out;
        private final ByteArrayOutputStream held = new ByteArrayOutputStream();
        private int budget = -1; // -1: pass everything

        HoldingOutputStream(OutputStream out) {
            this.out = out;
        }

        synchronized void holdAfter(int bytes) {
            budget = bytes;
        }

        synchronized void release() throws IOException {
            budget = -1;
            held.writeTo(out);
            held.reset();
            out.flush();
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) throws IOException {
            int pass = budget < 0 ? len : Math.min(len, budget);
            out.write(b, off, pass);
            if (budget >= 0) {
                budget -= pass;
                held.write(b, off + pass, len - pass);
            }
        }

        @Override
        public synchronized void flush() throws IOException {
            out.flush();
        }

        @Override
        public void close() throws IOException {
            out.close();
        }
    }
}
