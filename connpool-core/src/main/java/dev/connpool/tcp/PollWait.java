package dev.connpool.tcp;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.concurrent.locks.LockSupport;

/**
 * Waits between non-blocking socket operations that made no progress, up to a deadline, without
 * letting an interrupt end the wait or touch the socket. Used by {@link RequestResponseCheck}: a
 * blocking channel operation on a thread that is interrupted closes the channel
 * ({@code ClosedByInterruptException}), which would destroy a healthy pooled connection, so the
 * check polls non-blocking operations instead and waits here in between.
 *
 * <p>The schedule: first a short busy spin ({@link #SPIN_NANOS}), which catches the fastest
 * loopback replies without any system call beyond the reads; then a {@link Selector} on the
 * channel, opened only now, so that the wait ends as soon as the channel is ready, as a blocking
 * read would (the last fraction of a millisecond before the deadline, which {@code select} cannot
 * express, parks). Parking
 * with a back-off instead was measured to add 50 to 100 µs to a reply that came just after the
 * spin: a parked platform thread sleeps the kernel's timer slack (50 µs by default on Linux) on
 * top of what it asked for, and a back-off overshoots. The selector costs a few system calls
 * (epoll and its wakeup descriptor), paid while waiting anyway, and it is closed by
 * {@link #close()} before the channel goes back to blocking mode, so nothing is left behind;
 * none is cached per thread, which would keep descriptors open for every thread (virtual ones
 * included) that ever ran a check. If no selector can be had (descriptors exhausted), the wait
 * parks with a back-off from {@link #FIRST_PARK_NANOS} to {@link #MAX_PARK_NANOS} instead. No
 * wait goes past the deadline.
 *
 * <p>An interrupt ends a select or park early; the wait clears the flag (so the next one does not
 * return at once and turn the wait into a busy spin) and remembers it in {@link #interrupted()},
 * for the caller to restore when it is done with the socket. A selector woken by an interrupt
 * does not close the channel. Not thread-safe: one wait belongs to the thread that runs one
 * check.
 */
final class PollWait implements AutoCloseable {

    /**
     * How long to spin before selecting: catches the fastest replies. Longer spins measured no
     * better on a busy machine, where spinning takes the CPU the peer may need to reply.
     */
    static final long SPIN_NANOS = 10_000L;

    /** The first park, without a selector; the kernel's timer slack comes on top. */
    static final long FIRST_PARK_NANOS = 16_000L;

    /** The longest park. */
    static final long MAX_PARK_NANOS = 1_000_000L;

    /** Where a wait gets its selector: {@link Selector#open()}, or a failing one in a test. */
    @FunctionalInterface
    interface SelectorSource {
        Selector open() throws IOException;
    }

    private final long deadline;
    private final String onTimeout;
    private final SelectorSource selectors;
    private long spinUntil;
    private boolean spinning;
    private long nextPark;
    private boolean interrupted;
    private Selector selector;
    private SelectionKey key;
    private boolean noSelector;

    /**
     * Creates a wait.
     *
     * @param deadline the {@link System#nanoTime()} after which {@link #pause(SelectableChannel, int)} throws
     * @param onTimeout the message of the {@link SocketTimeoutException} it throws then
     */
    PollWait(long deadline, String onTimeout) {
        this(deadline, onTimeout, Selector::open);
    }

    /**
     * Creates a wait that takes its selector from {@code selectors}: the fallback for when none can
     * be had (descriptors exhausted) is tested with a source that fails.
     */
    PollWait(long deadline, String onTimeout, SelectorSource selectors) {
        this.deadline = deadline;
        this.onTimeout = onTimeout;
        this.selectors = selectors;
        progressed();
    }

    /** The deadline this wait ends at ({@link System#nanoTime()} scale). */
    long deadline() {
        return deadline;
    }

    /**
     * Notes that the last operation made progress: the next wait starts the schedule again, since
     * the rest of a reply that arrives in pieces tends to follow soon.
     */
    void progressed() {
        spinning = false;
        nextPark = FIRST_PARK_NANOS;
    }

    /**
     * Writes all of a buffer to a channel in non-blocking mode, waiting while the send buffer is full
     * (a peer that does not read), within this wait's deadline.
     *
     * @param channel the channel, non-blocking
     * @param src what to write
     * @throws IOException if the write fails or the deadline passes
     */
    void writeFully(SocketChannel channel, ByteBuffer src) throws IOException {
        while (src.hasRemaining()) {
            if (channel.write(src) > 0) {
                progressed();
            } else {
                pause(channel, SelectionKey.OP_WRITE);
            }
        }
    }

    /**
     * Waits a little after an operation on {@code channel} that made no progress, or until the
     * channel is ready for {@code ops}.
     *
     * @param channel the channel, in non-blocking mode
     * @param ops {@link SelectionKey#OP_READ} or {@link SelectionKey#OP_WRITE}
     * @throws SocketTimeoutException if the deadline has passed (never before it)
     * @throws IOException if the channel is closed
     */
    void pause(SelectableChannel channel, int ops) throws IOException {
        long now = System.nanoTime();
        long left = deadline - now;
        if (left <= 0) {
            throw new SocketTimeoutException(onTimeout);
        }
        if (!spinning) {
            spinning = true;
            spinUntil = now + SPIN_NANOS;
        }
        if (now - spinUntil < 0) {
            Thread.onSpinWait();
            return;
        }
        long millis = left / 1_000_000; // select(0) would wait for ever: the rest of a millisecond parks
        if (millis > 0 && select(channel, ops)) {
            selector.select(millis);
            selector.selectedKeys().clear();
        } else {
            LockSupport.parkNanos(Math.min(nextPark, left));
            nextPark = Math.min(nextPark * 2, MAX_PARK_NANOS);
        }
        if (Thread.interrupted()) {
            interrupted = true;
        }
    }

    /** Opens the selector and registers the channel for {@code ops}; false if no selector can be had. */
    private boolean select(SelectableChannel channel, int ops) throws IOException {
        if (noSelector) {
            return false;
        }
        if (selector == null) {
            try {
                selector = selectors.open();
            } catch (IOException e) {
                noSelector = true; // out of descriptors, say: park instead
                return false;
            }
        }
        if (key == null) {
            key = channel.register(selector, ops);
        } else if (key.interestOps() != ops) {
            key.interestOps(ops);
        }
        return true;
    }

    /**
     * Closes the selector, if one was opened, which deregisters the channel so that it can go back
     * to blocking mode. Idempotent.
     *
     * @throws IOException if closing fails
     */
    @Override
    public void close() throws IOException {
        Selector s = selector;
        selector = null;
        key = null;
        if (s != null) {
            s.close();
        }
    }

    /**
     * Whether an interrupt arrived (and was cleared) during a {@link #pause(SelectableChannel, int)}.
     *
     * @return true if the caller must restore the thread's interrupt flag
     */
    boolean interrupted() {
        return interrupted;
    }
}
