package dev.connpool.tcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.connpool.testkit.Worker;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The wait of a request/response check between polls of a non-blocking channel: never past its
 * deadline and never before it, woken by the channel, and an interrupt remembered, not acted on.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class PollWaitTest {

    private ServerSocket server;
    private SocketChannel channel;
    private Socket peer;

    @BeforeEach
    void connect() throws IOException {
        server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        channel = SocketChannel.open(new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort()));
        peer = server.accept();
        channel.configureBlocking(false);
    }

    @AfterEach
    void close() throws IOException {
        channel.close();
        peer.close();
        server.close();
    }

    private static long nanosFromNow(Duration d) {
        return System.nanoTime() + d.toNanos();
    }

    /** Pauses until the channel has bytes, as a check reading its reply does; returns how many came. */
    private int readWithin(PollWait wait) throws IOException {
        ByteBuffer dst = ByteBuffer.allocate(64);
        for (;;) {
            int n = channel.read(dst);
            if (n != 0) {
                wait.progressed();
                return n;
            }
            wait.pause(channel, SelectionKey.OP_READ);
        }
    }

    /**
     * Fails if the thread was busy for more than a quarter of the time {@code wait} took: a wait for a
     * silent peer sleeps (in the selector, or in parks), it does not spin. A thread that spins gets
     * at least half a core even on a loaded two-core machine; one that sleeps uses a few percent.
     */
    private static void sleepsMostly(String what, ThrowingRunnable wait) throws Exception {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        assertThat(threads.isCurrentThreadCpuTimeSupported()).as("thread CPU time measurable").isTrue();
        long cpu0 = threads.getCurrentThreadCpuTime();
        long wall0 = System.nanoTime();
        wait.run();
        long cpu = threads.getCurrentThreadCpuTime() - cpu0;
        long wall = System.nanoTime() - wall0;
        assertThat(cpu).as("%s: CPU %s ms of %s ms waited", what, cpu / 1_000_000, wall / 1_000_000)
                .isLessThan(wall / 4);
    }

    @FunctionalInterface
    private interface ThrowingRunnable {
        void run() throws Exception;
    }

    @Test
    void aSilentPeerEndsTheWaitAtItsDeadlineNotBefore() throws Exception {
        Duration timeout = Duration.ofMillis(200);
        long start = System.nanoTime();
        try (PollWait wait = new PollWait(nanosFromNow(timeout), "no reply within 200 ms")) {
            assertThat(wait.deadline() - start).isBetween(timeout.toNanos(), timeout.plusMillis(50).toNanos());
            sleepsMostly("waiting in the selector", () -> assertThatThrownBy(() -> readWithin(wait))
                    .isInstanceOf(SocketTimeoutException.class).hasMessage("no reply within 200 ms"));
        }
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(timeout, timeout.plusSeconds(2));
    }

    @Test
    void bytesArrivingEndTheWaitLongBeforeTheDeadline() throws Exception {
        try (PollWait wait = new PollWait(nanosFromNow(Duration.ofSeconds(20)), "late")) {
            Worker replying = Worker.start("replying", () -> {
                Thread.sleep(100); // the reader is waiting by then: past the spin, in the select
                peer.getOutputStream().write(new byte[] {1, 2, 3});
            });
            long start = System.nanoTime();
            assertThat(readWithin(wait)).isPositive();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
            replying.join(Duration.ofSeconds(5));
            // and again, after progress: a second reply ends the next wait too
            peer.getOutputStream().write(4);
            assertThat(readWithin(wait)).isPositive();
            assertThat(wait.interrupted()).isFalse();
        }
        channel.configureBlocking(true); // closed, the wait left the channel registered nowhere
    }

    @Test
    void aPeerThatDoesNotReadHoldsAWriteUntilTheDeadline() throws Exception {
        long start = System.nanoTime();
        try (PollWait wait = new PollWait(nanosFromNow(Duration.ofMillis(300)), "send buffer full")) {
            ByteBuffer big = ByteBuffer.allocate(64 * 1024 * 1024); // far more than both socket buffers
            assertThatThrownBy(() -> wait.writeFully(channel, big)).isInstanceOf(SocketTimeoutException.class)
                    .hasMessage("send buffer full");
            assertThat(big.position()).as("what the buffers took").isPositive();
        }
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofMillis(300), Duration.ofSeconds(3));
    }

    @Test
    void anInterruptIsRememberedAndClearedNotActedOn() throws Exception {
        long start = System.nanoTime();
        try (PollWait wait = new PollWait(nanosFromNow(Duration.ofMillis(300)), "late")) {
            Thread.currentThread().interrupt();
            // the wait goes on to its deadline past the interrupt (a spin, a select the interrupt
            // ends at once, then selects to the deadline)
            assertThatThrownBy(() -> readWithin(wait)).isInstanceOf(SocketTimeoutException.class);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
            assertThat(wait.interrupted()).isTrue();
            assertThat(Thread.currentThread().isInterrupted()).as("cleared, so that waits do not spin").isFalse();
            assertThat(channel.isOpen()).as("an interrupt does not close the channel").isTrue();
        } finally {
            Thread.interrupted();
        }
    }

    @Test
    void noInterruptIsMadeUp() throws Exception {
        try (PollWait wait = new PollWait(nanosFromNow(Duration.ofMillis(100)), "late")) {
            assertThatThrownBy(() -> readWithin(wait)).isInstanceOf(SocketTimeoutException.class);
            assertThat(wait.interrupted()).isFalse();
            assertThat(Thread.currentThread().isInterrupted()).isFalse();
        }
    }

    /**
     * Without a selector (the process is out of descriptors, say) a wait parks instead: it still
     * ends at its deadline and not before, still ends when bytes arrive, asks for a selector once
     * only, and remembers an interrupt as a select would.
     */
    @Test
    void withoutASelectorTheWaitParksAndStillKeepsItsPromises() throws Exception {
        AtomicInteger asked = new AtomicInteger();
        PollWait.SelectorSource none = () -> {
            asked.incrementAndGet();
            throw new IOException("Too many open files");
        };
        long start = System.nanoTime();
        try (PollWait wait = new PollWait(nanosFromNow(Duration.ofMillis(200)), "late", none)) {
            // parks growing from 16 µs to 1 ms, not a spin
            sleepsMostly("parking without a selector", () -> assertThatThrownBy(() -> readWithin(wait))
                    .isInstanceOf(SocketTimeoutException.class).hasMessage("late"));
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofMillis(200),
                    Duration.ofSeconds(3));
            assertThat(asked).as("a source that failed is not asked again").hasValue(1);
        }

        try (PollWait wait = new PollWait(nanosFromNow(Duration.ofSeconds(20)), "late", none)) {
            Worker replying = Worker.start("replying", () -> {
                Thread.sleep(100); // the reader is parking by then: past the spin
                peer.getOutputStream().write(new byte[] {1, 2});
            });
            long waited = System.nanoTime();
            assertThat(readWithin(wait)).isPositive();
            // parks are at most a millisecond each: the bytes are noticed long before the deadline
            assertThat(Duration.ofNanos(System.nanoTime() - waited)).isLessThan(Duration.ofSeconds(5));
            replying.join(Duration.ofSeconds(5));
        }

        try (PollWait wait = new PollWait(nanosFromNow(Duration.ofMillis(100)), "late", none)) {
            Thread.currentThread().interrupt();
            assertThatThrownBy(() -> readWithin(wait)).isInstanceOf(SocketTimeoutException.class);
            assertThat(wait.interrupted()).isTrue();
            assertThat(Thread.currentThread().isInterrupted()).as("cleared, so that parks do not spin").isFalse();
        } finally {
            Thread.interrupted();
        }
        channel.configureBlocking(true); // never registered anywhere
    }

    @Test
    void closeIsIdempotentAndLetsTheChannelBlockAgain() throws Exception {
        PollWait wait = new PollWait(nanosFromNow(Duration.ofMillis(100)), "late");
        // waiting registers the channel with the wait's selector
        assertThatThrownBy(() -> readWithin(wait)).isInstanceOf(SocketTimeoutException.class);
        wait.close();
        wait.close();
        channel.configureBlocking(true); // would throw IllegalBlockingModeException while registered
        assertThat(channel.isBlocking()).isTrue();
    }
}
