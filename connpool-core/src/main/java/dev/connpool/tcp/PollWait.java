package dev.connpool.tcp;

import java.net.SocketTimeoutException;
import java.util.concurrent.locks.LockSupport;

/**
 * Waits between non-blocking socket operations that made no progress, up to a deadline, without
 * letting an interrupt end the wait or touch the socket. Used by {@link RequestResponseCheck}: a
 * blocking channel operation on a thread that is interrupted closes the channel
 * ({@code ClosedByInterruptException}), which would destroy a healthy pooled connection, so the
 * check polls non-blocking operations instead and waits here in between.
 *
 * <p>Why polling and not a {@link java.nio.channels.Selector}: a selector costs file descriptors
 * (epoll plus its wakeup pipe or eventfd) and a registration per check, and the channel must be
 * deregistered, which takes another select, before it can go back to blocking mode for the user.
 * Caching one per thread would leak descriptors with every thread that ever ran a check (virtual
 * threads included). Polling costs nothing to set up or tear down and nothing is left behind; its
 * price is latency, kept small by the schedule below.
 *
 * <p>The schedule: first a short busy spin ({@link #SPIN_NANOS}), because a loopback or LAN reply
 * usually comes within tens of microseconds and a parked platform thread sleeps at least the
 * kernel's timer slack (50 µs by default on Linux) on top of what it asked for; then
 * {@link LockSupport#parkNanos(long) parks} of {@link #FIRST_PARK_NANOS}, doubling up to
 * {@link #MAX_PARK_NANOS}, so a slow reply costs at most about a millisecond of extra latency
 * and a silent peer about a thousand wake-ups a second. No park goes past the deadline.
 *
 * <p>An interrupt returns a park early; the wait clears the flag (so the next park does not
 * return at once and turn the wait into a busy spin) and remembers it in {@link #interrupted()},
 * for the caller to restore when it is done with the socket. Not thread-safe: one wait belongs to
 * the thread that runs one check.
 */
final class PollWait {

    /** How long to spin before parking: covers a typical loopback round trip. */
    static final long SPIN_NANOS = 30_000L;

    /** The first park; the kernel's timer slack comes on top. */
    static final long FIRST_PARK_NANOS = 16_000L;

    /** The longest park. */
    static final long MAX_PARK_NANOS = 1_000_000L;

    private final long deadline;
    private final String onTimeout;
    private long spinUntil;
    private boolean spinning;
    private long nextPark;
    private boolean interrupted;

    /**
     * Creates a wait.
     *
     * @param deadline the {@link System#nanoTime()} after which {@link #pause()} throws
     * @param onTimeout the message of the {@link SocketTimeoutException} it throws then
     */
    PollWait(long deadline, String onTimeout) {
        this.deadline = deadline;
        this.onTimeout = onTimeout;
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
     * Waits a little after an operation that made no progress.
     *
     * @throws SocketTimeoutException if the deadline has passed (never before it)
     */
    void pause() throws SocketTimeoutException {
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
        LockSupport.parkNanos(Math.min(nextPark, left));
        nextPark = Math.min(nextPark * 2, MAX_PARK_NANOS);
        if (Thread.interrupted()) {
            interrupted = true;
        }
    }

    /**
     * Whether an interrupt arrived (and was cleared) during a {@link #pause()}.
     *
     * @return true if the caller must restore the thread's interrupt flag
     */
    boolean interrupted() {
        return interrupted;
    }
}
