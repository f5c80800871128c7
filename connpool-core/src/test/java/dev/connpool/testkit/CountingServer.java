package dev.connpool.testkit;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * A loopback echo server whose count of open connections is exact, for invariant tests that
 * assert "never more than maxSize sockets open".
 *
 * <p>A thread-per-connection server sees a client's close whenever that connection's thread gets
 * to it, possibly after it accepted the connection that replaced it, and would count one too
 * many. This server runs one selector thread and, in each round, handles closes before accepts.
 * Together with clients that close with {@code SO_LINGER} (their {@code close()} returns only once
 * this side's kernel acknowledged the FIN; see {@link #lingering}), a close always reaches the
 * count before the accept of any connection opened after it.
 */
public final class CountingServer extends CountingEndpoint {

    /** Attached to a connection accepted but not counted yet. */
    private static final Object FRESH = new Object();

    private final ServerSocketChannel server;
    private final Selector selector;
    private final Thread loop;
    private volatile boolean closed;

    public CountingServer() throws IOException {
        super("server-side");
        server = ServerSocketChannel.open();
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 500);
        server.configureBlocking(false);
        selector = Selector.open();
        server.register(selector, SelectionKey.OP_ACCEPT);
        loop = new Thread(this::run, "counting-server-" + port());
        loop.setDaemon(true);
        loop.start();
    }

    public int port() {
        return server.socket().getLocalPort();
    }

    /** Makes a client socket close with linger, so its close is seen here before it returns. */
    public static Socket lingering(Socket socket) throws IOException {
        socket.setSoLinger(true, 10);
        return socket;
    }

    private void run() {
        ByteBuffer buf = ByteBuffer.allocate(8192);
        try {
            while (!closed) {
                selector.select(100);
                readAll(buf);
                acceptPending(buf);
            }
        } catch (IOException e) {
            if (!closed) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** Handles the reads (and closes) among the selected keys; accepts are left for acceptPending. */
    private void readAll(ByteBuffer buf) {
        Iterator<SelectionKey> it = selector.selectedKeys().iterator();
        while (it.hasNext()) {
            SelectionKey k = it.next();
            it.remove();
            if (k.isValid() && k.isReadable()) {
                read(k, buf);
            }
        }
    }

    /**
     * Accepts what is pending, but counts it only after handling every close visible after the
     * accept: a connection in the accept queue arrived after any close that freed room for it.
     * A connection that was opened and closed again while it waited in the accept queue is never
     * counted as open.
     */
    private void acceptPending(ByteBuffer buf) throws IOException {
        List<SelectionKey> fresh = new ArrayList<>();
        SocketChannel c;
        while ((c = server.accept()) != null) {
            c.configureBlocking(false);
            c.setOption(StandardSocketOptions.TCP_NODELAY, true);
            fresh.add(c.register(selector, SelectionKey.OP_READ, FRESH));
        }
        if (fresh.isEmpty()) {
            return;
        }
        selector.selectNow();
        readAll(buf);
        for (SelectionKey k : fresh) {
            countAccepted();
            if (k.isValid()) {
                k.attach(null);
                countOpened();
            }
        }
    }

    private void read(SelectionKey k, ByteBuffer buf) {
        SocketChannel c = (SocketChannel) k.channel();
        buf.clear();
        int n;
        try {
            n = c.read(buf);
            if (n > 0) {
                buf.flip();
                while (buf.hasRemaining() && c.write(buf) > 0) {
                    // echo what fits; tests send a few bytes at a time
                }
                return;
            }
        } catch (IOException e) {
            n = -1; // reset
        }
        if (n < 0) {
            k.cancel();
            try {
                c.close();
            } catch (IOException ignored) {
                // closing anyway
            }
            if (k.attachment() != FRESH) {
                countClosed();
            }
        }
    }

    @Override
    public void close() throws IOException {
        closed = true;
        selector.wakeup();
        try {
            loop.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (SelectionKey k : selector.keys()) {
            k.channel().close();
        }
        selector.close();
        server.close();
    }
}
