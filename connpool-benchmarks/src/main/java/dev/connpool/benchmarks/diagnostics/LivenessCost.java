package dev.connpool.benchmarks.diagnostics;

import dev.connpool.ConnectionFactory;
import dev.connpool.HealthCheck;
import dev.connpool.benchmarks.EchoServer;

import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;

/**
 * What {@code HealthCheck.liveness()} costs on a healthy idle loopback connection, and its parts,
 * by thread CPU time: the blocking-mode switch there and back, the non-blocking read, and one
 * cheap system call for scale.
 *
 * <pre>java -cp connpool-benchmarks/target/benchmarks.jar dev.connpool.benchmarks.diagnostics.LivenessCost</pre>
 */
public final class LivenessCost {

    private static final int N = 100_000;
    private static final int ROUNDS = 6;

    private LivenessCost() {
    }

    /**
     * Prints the costs.
     *
     * @param args none
     * @throws Exception if the loopback server cannot be set up
     */
    public static void main(String[] args) throws Exception {
        try (EchoServer server = EchoServer.start();
             Socket socket = ConnectionFactory.tcp(server.host(), server.port(), Duration.ofSeconds(5)).create()) {
            SocketChannel channel = socket.getChannel();
            HealthCheck liveness = HealthCheck.liveness();
            ByteBuffer one = ByteBuffer.allocate(1);
            CpuClock.measure("liveness().check(socket)", N, ROUNDS, n -> {
                for (int i = 0; i < n; i++) {
                    liveness.check(socket);
                }
            });
            CpuClock.measure("configureBlocking(false) + configureBlocking(true)", N, ROUNDS, n -> {
                for (int i = 0; i < n; i++) {
                    synchronized (channel.blockingLock()) {
                        channel.configureBlocking(false);
                        channel.configureBlocking(true);
                    }
                }
            });
            channel.configureBlocking(false);
            CpuClock.measure("read() on a channel left non-blocking (nothing to read)", N, ROUNDS, n -> {
                for (int i = 0; i < n; i++) {
                    one.clear();
                    channel.read(one);
                }
            });
            channel.configureBlocking(true);
            CpuClock.measure("getInputStream().available() (one ioctl)", N, ROUNDS, n -> {
                for (int i = 0; i < n; i++) {
                    socket.getInputStream().available();
                }
            });
            CpuClock.measure("getReceiveBufferSize() (one getsockopt)", N, ROUNDS, n -> {
                for (int i = 0; i < n; i++) {
                    socket.getReceiveBufferSize();
                }
            });
        }
    }
}
