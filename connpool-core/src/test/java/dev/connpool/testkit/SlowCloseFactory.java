package dev.connpool.testkit;

import dev.connpool.ConnectionFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A connection factory for plain loopback sockets where the test picks one socket whose
 * {@code close()} waits until the test lets it go on (at most 10 s): a close in progress, with its
 * room still counted, that the test can hold open while it looks at the pool.
 */
public final class SlowCloseFactory implements ConnectionFactory {

    private final String host;
    private final int port;
    private final CountDownLatch inClose = new CountDownLatch(1);
    private final CountDownLatch release = new CountDownLatch(1);
    private volatile Socket held;

    public SlowCloseFactory(String host, int port) {
        this.host = host;
        this.port = port;
    }

    /** Makes the close of this socket (one of this factory's) wait for {@link #release()}. */
    public void holdCloseOf(Socket socket) {
        held = socket;
    }

    /** Waits until the held socket's close has begun (and waits). */
    public void awaitInClose() throws InterruptedException {
        if (!inClose.await(10, TimeUnit.SECONDS)) {
            throw new AssertionError("the held socket was never closed");
        }
    }

    /** Lets the held socket's close go on. */
    public void release() {
        release.countDown();
    }

    @Override
    public Socket create() throws IOException {
        Socket s = new Socket() {
            @Override
            public synchronized void close() throws IOException {
                if (this == held) {
                    inClose.countDown();
                    boolean waited = false;
                    boolean interrupted = false;
                    while (!waited) {
                        try {
                            release.await(10, TimeUnit.SECONDS);
                            waited = true;
                        } catch (InterruptedException e) {
                            interrupted = true; // a close bounded by its own time: it goes on until released
                        }
                    }
                    if (interrupted) {
                        Thread.currentThread().interrupt(); // kept for the caller, as a real close keeps it
                    }
                }
                super.close();
            }
        };
        try {
            s.connect(new InetSocketAddress(host, port), 5_000);
        } catch (IOException e) {
            s.close();
            throw e;
        }
        return s;
    }
}
