package dev.connpool.tcp;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.connpool.testkit.Await;
import dev.connpool.testkit.LineServer;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.StandardSocketOptions;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The plain socket under a pooled TLS socket, on its own: its single-byte read and
 * {@code available()} see bytes a peek buffered as well as bytes still in the kernel, and every
 * {@link Socket} method reaches the channel's socket (the TLS layer and the pool call them on it).
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class PeekableSocketTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

    private LineServer server;
    private SocketChannel channel;
    private Socket below;
    private PeekableSocket socket;

    @BeforeEach
    void connect() throws Exception {
        server = LineServer.plain(LineServer.ECHO);
        channel = SocketChannel.open(new InetSocketAddress(server.host(), server.port()));
        below = channel.socket();
        socket = new PeekableSocket(channel);
    }

    @AfterEach
    void close() throws Exception {
        socket.close();
        server.close();
    }

    private LineServer.Conn serverSide() {
        return server.connection(0, WAIT);
    }

    @Test
    void singleByteReadsGiveEveryByteUnsignedThenMinusOneAtTheEnd() throws Exception {
        serverSide().send(new byte[] {'a', (byte) 0xff, 0});
        InputStream in = socket.getInputStream();
        assertThat(in.read()).isEqualTo('a');
        assertThat(in.read()).as("0xff is 255, not the end of the stream").isEqualTo(255);
        assertThat(in.read()).isZero();
        serverSide().fin();
        assertThat(in.read()).isEqualTo(-1);
    }

    @Test
    void singleByteReadsTakePeekedBytesFirst() throws Exception {
        serverSide().send("xyz".getBytes(US_ASCII));
        Await.until(() -> peek() == 3, WAIT, "three bytes peeked");
        InputStream in = socket.getInputStream();
        assertThat(new String(new byte[] {(byte) in.read(), (byte) in.read(), (byte) in.read()}, US_ASCII))
                .isEqualTo("xyz");
    }

    @Test
    void readsCountWhatTheyTookFromThePeekedBytes() throws Exception {
        serverSide().send("abcd".getBytes(US_ASCII));
        Await.until(() -> peek() == 4, WAIT, "four bytes peeked");
        byte[] b = new byte[8];
        assertThat(socket.getInputStream().read(b, 1, 3)).isEqualTo(3);
        assertThat(new String(b, 1, 3, US_ASCII)).isEqualTo("abc");
        assertThat(socket.getInputStream().read(b, 0, 0)).isZero();
        assertThat(socket.getInputStream().read(b, 0, 8)).isEqualTo(1);
        assertThat((char) b[0]).isEqualTo('d');
    }

    @Test
    void singleByteWritesGoOut() throws Exception {
        for (byte c : "hi\n".getBytes(US_ASCII)) {
            socket.getOutputStream().write(c);
        }
        socket.getOutputStream().flush();
        assertThat(socket.getInputStream().readNBytes(3)).isEqualTo("hi\n".getBytes(US_ASCII));
    }

    @Test
    void closingEitherStreamClosesTheSocket() throws Exception {
        socket.getInputStream().close();
        assertThat(socket.isClosed()).isTrue();
        assertThat(channel.isOpen()).isFalse();
        try (SocketChannel other = SocketChannel.open(new InetSocketAddress(server.host(), server.port()))) {
            PeekableSocket second = new PeekableSocket(other);
            second.getOutputStream().close();
            assertThat(second.isClosed()).isTrue();
        }
    }

    @Test
    void availableCountsPeekedBytesAndBytesStillInTheKernel() throws Exception {
        InputStream in = socket.getInputStream();
        assertThat(in.available()).isZero();
        serverSide().send("ab".getBytes(US_ASCII));
        Await.until(() -> available(in) == 2, WAIT, "two bytes in the kernel");
        assertThat(peek()).isEqualTo(2); // now buffered here
        serverSide().send("cde".getBytes(US_ASCII));
        Await.until(() -> available(in) == 5, WAIT, () -> "two buffered and three in the kernel: " + available(in));
        serverSide().fin();
        Await.until(() -> peek() == 5, WAIT, "the rest and the end of the stream peeked");
        Await.until(() -> peek() == 5 && available(in) == 5, WAIT, "nothing more after the end");
        assertThat(in.readNBytes(5)).isEqualTo("abcde".getBytes(US_ASCII));
        assertThat(in.available()).isZero();
        assertThat(peek()).isEqualTo(-1);
        assertThat(in.read()).as("the end of the stream a peek saw").isEqualTo(-1);
        assertThat(in.read(new byte[4], 0, 4)).isEqualTo(-1);
    }

    @Test
    void addressesAndPortsAreTheChannelSockets() {
        assertThat(socket.getInetAddress()).isEqualTo(below.getInetAddress());
        assertThat(socket.getLocalAddress()).isEqualTo(below.getLocalAddress());
        assertThat(socket.getPort()).isEqualTo(server.port());
        assertThat(socket.getLocalPort()).isEqualTo(below.getLocalPort()).isPositive();
        assertThat(socket.getRemoteSocketAddress()).isEqualTo(new InetSocketAddress(server.host(), server.port()));
        assertThat(socket.getLocalSocketAddress()).isEqualTo(below.getLocalSocketAddress()).isNotNull();
        assertThat(socket.toString()).isEqualTo(below.toString()).contains(String.valueOf(server.port()));
        assertThat(socket.isBound()).isTrue();
        assertThat(socket.isConnected()).isTrue();
        assertThat(socket.getChannel()).as("reads must go through the buffer").isNull();
        assertThatThrownBy(() -> socket.connect(below.getRemoteSocketAddress())).isInstanceOf(SocketException.class);
        assertThatThrownBy(() -> socket.connect(below.getRemoteSocketAddress(), 1)).isInstanceOf(SocketException.class);
        assertThatThrownBy(() -> socket.bind(null)).isInstanceOf(SocketException.class);
    }

    @Test
    void optionsAreSetOnTheChannelsSocket() throws Exception {
        // each boolean option both ways, seen on both sockets
        for (boolean on : new boolean[] {true, false}) {
            socket.setTcpNoDelay(on);
            assertThat(below.getTcpNoDelay()).isEqualTo(on);
            assertThat(socket.getTcpNoDelay()).isEqualTo(on);
            socket.setKeepAlive(on);
            assertThat(below.getKeepAlive()).isEqualTo(on);
            assertThat(socket.getKeepAlive()).isEqualTo(on);
            socket.setReuseAddress(on);
            assertThat(below.getReuseAddress()).isEqualTo(on);
            assertThat(socket.getReuseAddress()).isEqualTo(on);
            socket.setOOBInline(on);
            assertThat(below.getOOBInline()).isEqualTo(on);
            assertThat(socket.getOOBInline()).isEqualTo(on);
            assertThat(socket.setOption(StandardSocketOptions.TCP_NODELAY, !on)).isSameAs(socket);
            assertThat(below.getTcpNoDelay()).isEqualTo(!on);
            assertThat(socket.getOption(StandardSocketOptions.TCP_NODELAY)).isEqualTo(!on);
        }
        socket.setSoLinger(true, 7);
        assertThat(below.getSoLinger()).isEqualTo(7);
        assertThat(socket.getSoLinger()).isEqualTo(7);
        socket.setSoTimeout(1234);
        assertThat(below.getSoTimeout()).isEqualTo(1234);
        assertThat(socket.getSoTimeout()).isEqualTo(1234);
        socket.setTrafficClass(0x10);
        assertThat(socket.getTrafficClass()).isEqualTo(below.getTrafficClass()).isEqualTo(0x10);
        // buffer sizes: the kernel rounds them, but a small one differs from the default
        int sendBefore = below.getSendBufferSize();
        socket.setSendBufferSize(4096);
        assertThat(below.getSendBufferSize()).isNotEqualTo(sendBefore);
        assertThat(socket.getSendBufferSize()).isEqualTo(below.getSendBufferSize());
        int receiveBefore = below.getReceiveBufferSize();
        socket.setReceiveBufferSize(4096);
        assertThat(below.getReceiveBufferSize()).isNotEqualTo(receiveBefore);
        assertThat(socket.getReceiveBufferSize()).isEqualTo(below.getReceiveBufferSize());
        assertThat(socket.supportedOptions()).isEqualTo(below.supportedOptions());
    }

    @Test
    void shutdownsReachTheChannelsSocket() throws Exception {
        assertThat(socket.isInputShutdown()).isFalse();
        assertThat(socket.isOutputShutdown()).isFalse();
        socket.shutdownOutput();
        assertThat(below.isOutputShutdown()).isTrue();
        assertThat(socket.isOutputShutdown()).isTrue();
        server.awaitOpen(0, WAIT); // the server saw the end of the stream and closed
        socket.shutdownInput();
        assertThat(below.isInputShutdown()).isTrue();
        assertThat(socket.isInputShutdown()).isTrue();
    }

    @Test
    void closeClosesTheChannelsSocketAndTheStreamsSayClosed() throws Exception {
        assertThat(socket.isClosed()).isFalse();
        socket.close();
        assertThat(socket.isClosed()).isTrue();
        assertThat(channel.isOpen()).isFalse();
        server.awaitOpen(0, WAIT);
        assertThatThrownBy(socket::getInputStream).isInstanceOf(SocketException.class).hasMessageContaining("closed");
        assertThatThrownBy(socket::getOutputStream).isInstanceOf(SocketException.class);
    }

    @Test
    void whilePollingReadsTakeWhatArrivesAndTheEndOfTheStreamIsMinusOne() throws Exception {
        socket.pollUntil(new PollWait(System.nanoTime() + WAIT.toNanos(), "late"));
        try {
            InputStream in = socket.getInputStream();
            serverSide().send("ab".getBytes(US_ASCII));
            byte[] b = new byte[8];
            int n = in.read(b, 0, 8);
            if (n == 1) {
                n += in.read(b, 1, 7);
            }
            assertThat(new String(b, 0, n, US_ASCII)).isEqualTo("ab");
            serverSide().fin();
            assertThat(in.read(b, 0, 8)).as("the end of the stream, waited for by polling").isEqualTo(-1);
            assertThat(in.read()).isEqualTo(-1);
        } finally {
            socket.endPolling();
        }
        assertThat(channel.isBlocking()).isTrue();
    }

    /**
     * Urgent data goes out on the channel's socket: a peer that reads it inline gets the byte in
     * its stream (one that does not, drops it).
     */
    @Test
    void urgentDataReachesAPeerThatReadsItInline() throws Exception {
        try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                SocketChannel ch = SocketChannel.open(new InetSocketAddress(InetAddress.getLoopbackAddress(),
                        listener.getLocalPort()));
                Socket peer = listener.accept()) {
            peer.setOOBInline(true);
            peer.setSoTimeout((int) WAIT.toMillis());
            PeekableSocket urgent = new PeekableSocket(ch);
            urgent.sendUrgentData('!');
            assertThat(peer.getInputStream().read()).isEqualTo('!');
        }
    }

    private int peek() {
        try {
            return socket.peek();
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    private static int available(InputStream in) {
        try {
            return in.available();
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }
}
