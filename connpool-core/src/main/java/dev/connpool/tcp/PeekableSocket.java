package dev.connpool.tcp;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * The plain socket under a pooled TLS socket: a channel-backed socket whose input can be peeked
 * without blocking and without losing bytes. Whatever a peek reads is buffered and read again by
 * the TLS layer above, so the liveness check can look below TLS (for FIN, RST or pending records)
 * and then let TLS consume pending records (session tickets) on its own terms.
 *
 * <p>While {@linkplain #checking checking}, the input stream hands out only complete TLS records
 * that are already buffered and reports a timeout instead of blocking, so the TLS layer stops at
 * a record boundary and stays usable.
 */
final class PeekableSocket extends Socket {

    /** Largest TLS record: 5 byte header, 2^14 plaintext plus expansion. */
    private static final int MAX_RECORD = 5 + 16384 + 2048;

    private final SocketChannel channel;
    private final Socket socket;
    private final InputStream in;
    private ByteBuffer buffered; // read mode: position..limit are pending bytes
    private boolean eof;
    boolean checking;

    PeekableSocket(SocketChannel channel) throws IOException {
        this.channel = channel;
        this.socket = channel.socket();
        this.in = new Input(socket.getInputStream());
    }

    /**
     * Reads whatever has arrived, without blocking.
     *
     * @return the number of bytes buffered now, or -1 if the peer closed and nothing is buffered
     * @throws IOException if the connection was reset or closed
     */
    int peek() throws IOException {
        if (buffered == null) {
            buffered = ByteBuffer.allocate(MAX_RECORD * 2).flip();
        }
        if (!eof && buffered.limit() < buffered.capacity()) {
            buffered.compact();
            int n;
            synchronized (channel.blockingLock()) {
                channel.configureBlocking(false);
                try {
                    n = channel.read(buffered);
                } finally {
                    channel.configureBlocking(true);
                    buffered.flip();
                }
            }
            if (n < 0) {
                eof = true;
            }
        }
        int pending = buffered.remaining();
        return pending == 0 && eof ? -1 : pending;
    }

    /** The end (exclusive) of the complete TLS records at the start of the buffer. */
    private int completeRecordsEnd() {
        int p = buffered.position();
        int limit = buffered.limit();
        while (limit - p >= 5) {
            int len = ((buffered.get(p + 3) & 0xff) << 8) | (buffered.get(p + 4) & 0xff);
            if (limit - p - 5 < len) {
                break;
            }
            p += 5 + len;
        }
        return p;
    }

    private final class Input extends InputStream {

        private final InputStream socketIn;

        Input(InputStream socketIn) {
            this.socketIn = socketIn;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            if (buffered != null && buffered.hasRemaining()) {
                int end = checking ? completeRecordsEnd() : buffered.limit();
                int n = Math.min(len, end - buffered.position());
                if (n > 0) {
                    buffered.get(b, off, n);
                    return n;
                }
            }
            if (checking) {
                if (eof) {
                    return -1;
                }
                throw new SocketTimeoutException("no complete record buffered");
            }
            if (eof) {
                return -1;
            }
            return socketIn.read(b, off, len);
        }

        @Override
        public int available() throws IOException {
            int pending = buffered == null ? 0 : buffered.remaining();
            return pending + (eof ? 0 : socketIn.available());
        }

        @Override
        public void close() throws IOException {
            PeekableSocket.this.close();
        }
    }

    // ---- java.net.Socket, delegated to the channel's socket ----

    @Override
    public InputStream getInputStream() throws IOException {
        if (isClosed()) {
            throw new SocketException("Socket is closed");
        }
        return in;
    }

    @Override
    public OutputStream getOutputStream() throws IOException {
        return socket.getOutputStream();
    }

    @Override
    public SocketChannel getChannel() {
        return null; // reads must go through the buffer above
    }

    @Override
    public synchronized void close() throws IOException {
        TlsSockets.unregister(this);
        socket.close();
    }

    @Override
    public boolean isClosed() {
        return socket.isClosed();
    }

    @Override
    public boolean isConnected() {
        return socket.isConnected();
    }

    @Override
    public boolean isBound() {
        return socket.isBound();
    }

    @Override
    public boolean isInputShutdown() {
        return socket.isInputShutdown();
    }

    @Override
    public boolean isOutputShutdown() {
        return socket.isOutputShutdown();
    }

    @Override
    public void shutdownInput() throws IOException {
        socket.shutdownInput();
    }

    @Override
    public void shutdownOutput() throws IOException {
        socket.shutdownOutput();
    }

    @Override
    public void connect(SocketAddress endpoint) throws IOException {
        throw new SocketException("already connected");
    }

    @Override
    public void connect(SocketAddress endpoint, int timeout) throws IOException {
        throw new SocketException("already connected");
    }

    @Override
    public void bind(SocketAddress bindpoint) throws IOException {
        throw new SocketException("already bound");
    }

    @Override
    public InetAddress getInetAddress() {
        return socket.getInetAddress();
    }

    @Override
    public InetAddress getLocalAddress() {
        return socket.getLocalAddress();
    }

    @Override
    public int getPort() {
        return socket.getPort();
    }

    @Override
    public int getLocalPort() {
        return socket.getLocalPort();
    }

    @Override
    public SocketAddress getRemoteSocketAddress() {
        return socket.getRemoteSocketAddress();
    }

    @Override
    public SocketAddress getLocalSocketAddress() {
        return socket.getLocalSocketAddress();
    }

    @Override
    public void setTcpNoDelay(boolean on) throws SocketException {
        socket.setTcpNoDelay(on);
    }

    @Override
    public boolean getTcpNoDelay() throws SocketException {
        return socket.getTcpNoDelay();
    }

    @Override
    public void setSoLinger(boolean on, int linger) throws SocketException {
        socket.setSoLinger(on, linger);
    }

    @Override
    public int getSoLinger() throws SocketException {
        return socket.getSoLinger();
    }

    @Override
    public void sendUrgentData(int data) throws IOException {
        socket.sendUrgentData(data);
    }

    @Override
    public void setOOBInline(boolean on) throws SocketException {
        socket.setOOBInline(on);
    }

    @Override
    public boolean getOOBInline() throws SocketException {
        return socket.getOOBInline();
    }

    @Override
    public synchronized void setSoTimeout(int timeout) throws SocketException {
        socket.setSoTimeout(timeout);
    }

    @Override
    public synchronized int getSoTimeout() throws SocketException {
        return socket.getSoTimeout();
    }

    @Override
    public synchronized void setSendBufferSize(int size) throws SocketException {
        socket.setSendBufferSize(size);
    }

    @Override
    public synchronized int getSendBufferSize() throws SocketException {
        return socket.getSendBufferSize();
    }

    @Override
    public synchronized void setReceiveBufferSize(int size) throws SocketException {
        socket.setReceiveBufferSize(size);
    }

    @Override
    public synchronized int getReceiveBufferSize() throws SocketException {
        return socket.getReceiveBufferSize();
    }

    @Override
    public void setKeepAlive(boolean on) throws SocketException {
        socket.setKeepAlive(on);
    }

    @Override
    public boolean getKeepAlive() throws SocketException {
        return socket.getKeepAlive();
    }

    @Override
    public void setTrafficClass(int tc) throws SocketException {
        socket.setTrafficClass(tc);
    }

    @Override
    public int getTrafficClass() throws SocketException {
        return socket.getTrafficClass();
    }

    @Override
    public void setReuseAddress(boolean on) throws SocketException {
        socket.setReuseAddress(on);
    }

    @Override
    public boolean getReuseAddress() throws SocketException {
        return socket.getReuseAddress();
    }

    @Override
    public String toString() {
        return socket.toString();
    }

    /** Thrown when the peer closed the connection below TLS. */
    static EOFException peerClosed() {
        return new EOFException("peer closed the connection");
    }
}
