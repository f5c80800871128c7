package dev.connpool.tcp;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketOption;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.Set;

/**
 * The plain socket under a pooled TLS socket: a channel-backed socket whose input can be peeked
 * without blocking and without losing bytes. Whatever a peek reads is buffered and read again by
 * the TLS layer above, so the liveness check can look below TLS (for FIN, RST or pending records)
 * and then let TLS consume pending records (session tickets) on its own terms.
 *
 * <p>While {@linkplain #checking checking}, the input stream hands out only buffered bytes that
 * end on a TLS record boundary ({@link TlsRecords} follows where TLS stands) and reports a timeout
 * instead of blocking, so the TLS layer stops between records and stays usable.
 *
 * <p>While a {@linkplain #readDeadline(long) read deadline} is set (during the handshake), every
 * read from the network is bounded by the time left, so the handshake as a whole is bounded, not
 * each read of it.
 *
 * <p>While {@linkplain #pollUntil(PollWait) polling} (a request/response check runs), the channel
 * is in non-blocking mode: reads from the network wait for bytes by polling {@link #peek()} and
 * writes go out without blocking, both waiting in a {@link PollWait} until its deadline. An
 * interrupt of the thread then cannot close the channel, as it would close a channel blocked in a
 * read or write ({@code ClosedByInterruptException}). TLS record handling is the same in every
 * mode.
 */
final class PeekableSocket extends Socket {

    /** Largest TLS record: 5 byte header, 2^14 plaintext plus expansion. */
    private static final int MAX_RECORD = 5 + 16384 + 2048;

    private final SocketChannel channel;
    private final Socket socket;
    private final InputStream in;
    private final Output out;
    private final TlsRecords records = new TlsRecords();
    private ByteBuffer buffered; // read mode: position..limit are pending bytes
    private boolean eof;
    private boolean hasReadDeadline;
    private long readDeadline; // System.nanoTime() by which reads must end, if hasReadDeadline
    boolean checking;
    private PollWait poll; // non-null while polling: the channel is non-blocking

    PeekableSocket(SocketChannel channel) throws IOException {
        this.channel = channel;
        this.socket = channel.socket();
        this.in = new Input(socket.getInputStream());
        this.out = new Output(socket.getOutputStream());
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
            if (poll != null) {
                try {
                    n = channel.read(buffered); // non-blocking already
                } finally {
                    buffered.flip();
                }
            } else {
                synchronized (channel.blockingLock()) {
                    channel.configureBlocking(false);
                    try {
                        n = channel.read(buffered);
                    } finally {
                        channel.configureBlocking(true);
                        buffered.flip();
                    }
                }
            }
            if (n < 0) {
                eof = true;
            }
        }
        int pending = buffered.remaining();
        return pending == 0 && eof ? -1 : pending;
    }

    /**
     * Bounds every read from the network until {@link #clearReadDeadline()}.
     *
     * @param deadline a {@link System#nanoTime()} value
     */
    void readDeadline(long deadline) {
        this.readDeadline = deadline;
        this.hasReadDeadline = true;
    }

    /**
     * Ends the bound of {@link #readDeadline(long)}; reads block without a timeout again.
     *
     * @throws SocketException if the socket is closed
     */
    void clearReadDeadline() throws SocketException {
        hasReadDeadline = false;
        socket.setSoTimeout(0);
    }

    /**
     * Puts the channel in non-blocking mode until {@link #endPolling()}: reads and writes from
     * now on poll, waiting in {@code wait}, and fail with its {@link java.net.SocketTimeoutException}
     * at its deadline. The caller owns the socket meanwhile (the pool lends it to nobody while it
     * checks it), so no other thread switches the mode back under it.
     *
     * @param wait where to wait between polls, and until when
     * @throws IOException if the channel is closed
     */
    void pollUntil(PollWait wait) throws IOException {
        synchronized (channel.blockingLock()) {
            channel.configureBlocking(false);
        }
        poll = wait;
    }

    /**
     * Ends {@link #pollUntil(PollWait)}: closes the wait and the channel blocks again, as the
     * socket's streams need.
     *
     * @throws IOException if the channel is closed
     */
    void endPolling() throws IOException {
        PollWait wait = poll;
        poll = null;
        try {
            if (wait != null) {
                wait.close(); // deregisters the channel from its selector: a registered one cannot block
            }
        } finally {
            synchronized (channel.blockingLock()) {
                channel.configureBlocking(true);
            }
        }
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
            int n = fill(b, off, len);
            if (n > 0) {
                records.passed(b, off, n);
            }
            return n;
        }

        private int fill(byte[] b, int off, int len) throws IOException {
            if (buffered != null && buffered.hasRemaining()) {
                int n = Math.min(len, checking ? records.wholeRecords(buffered) : buffered.remaining());
                if (n > 0) {
                    buffered.get(b, off, n);
                    return n;
                }
            }
            if (eof) {
                return -1;
            }
            if (checking) {
                throw new SocketTimeoutException("no whole TLS record buffered");
            }
            if (poll != null) {
                return fillPolling(b, off, len, poll);
            }
            if (hasReadDeadline) {
                socket.setSoTimeout(TcpConnector.remainingMillis(readDeadline, "TLS handshake timed out"));
            }
            return socketIn.read(b, off, len);
        }

        /** Waits for bytes by peeking, which never blocks, until the wait's deadline. */
        private int fillPolling(byte[] b, int off, int len, PollWait wait) throws IOException {
            for (;;) {
                int pending = peek();
                if (pending < 0) {
                    return -1;
                }
                if (pending > 0) {
                    wait.progressed();
                    int n = Math.min(len, pending);
                    buffered.get(b, off, n);
                    return n;
                }
                wait.pause(channel, SelectionKey.OP_READ);
            }
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
        socket.getOutputStream(); // throws as the socket's own would: closed, not connected, shut down
        return out;
    }

    /**
     * The socket's output stream, or while {@linkplain #pollUntil(PollWait) polling} non-blocking
     * writes of the channel. The TLS layer takes this stream once, when it is layered over the
     * socket, so the mode has to be switched in here rather than by handing out another stream.
     */
    private final class Output extends OutputStream {

        private final OutputStream socketOut;

        Output(OutputStream socketOut) {
            this.socketOut = socketOut;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            PollWait wait = poll;
            if (wait == null) {
                socketOut.write(b, off, len);
                return;
            }
            wait.writeFully(channel, ByteBuffer.wrap(b, off, len));
        }

        @Override
        public void flush() throws IOException {
            socketOut.flush();
        }

        @Override
        public void close() throws IOException {
            PeekableSocket.this.close();
        }
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

    // the option API must reach the real socket too: Socket's own would create a second,
    // unconnected socket behind this one and set options there
    @Override
    public <T> Socket setOption(SocketOption<T> name, T value) throws IOException {
        socket.setOption(name, value);
        return this;
    }

    @Override
    public <T> T getOption(SocketOption<T> name) throws IOException {
        return socket.getOption(name);
    }

    @Override
    public Set<SocketOption<?>> supportedOptions() {
        return socket.supportedOptions();
    }

    @Override
    public String toString() {
        return socket.toString();
    }
}
