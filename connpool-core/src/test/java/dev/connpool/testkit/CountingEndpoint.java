package dev.connpool.testkit;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What a test server (or proxy) sees of its connections: how many it accepted, how many are open
 * now, and the most that were open at once. The servers of this kit extend it, so every
 * server-side count a test asserts means the same thing; they report with the {@code count*}
 * methods.
 */
public abstract class CountingEndpoint implements AutoCloseable {

    private final String side;
    private final AtomicInteger accepted = new AtomicInteger();
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicInteger maxOpen = new AtomicInteger();

    /** @param side how failure messages name the counting side, e.g. "server-side" or "proxy-side" */
    protected CountingEndpoint(String side) {
        this.side = side;
    }

    /** Counts a connection accepted and open. */
    protected final void countAcceptedAndOpen() {
        countAccepted();
        countOpened();
    }

    /** Counts a connection accepted (not yet open: see {@link #countOpened()}). */
    protected final void countAccepted() {
        accepted.incrementAndGet();
    }

    /** Counts a connection open. */
    protected final void countOpened() {
        maxOpen.accumulateAndGet(open.incrementAndGet(), Math::max);
    }

    /** Counts a connection closed. */
    protected final void countClosed() {
        open.decrementAndGet();
    }

    /** Connections accepted so far. */
    public int accepted() {
        return accepted.get();
    }

    /** Connections open now, as this side sees them. */
    public int open() {
        return open.get();
    }

    /** The most connections that were open at once. */
    public int maxOpen() {
        return maxOpen.get();
    }

    /** Starts {@link #maxOpen()} over from the connections open now, to measure a stretch of a test. */
    public void resetMaxOpen() {
        maxOpen.set(open.get());
    }

    /** Waits until exactly {@code expected} connections are open. */
    public void awaitOpen(int expected, Duration timeout) {
        Await.until(() -> open.get() == expected, timeout,
                () -> side + " open connections: expected " + expected + ", was " + open.get());
    }

    /** Waits until at least {@code atLeast} connections were accepted. */
    public void awaitAccepted(int atLeast, Duration timeout) {
        Await.until(() -> accepted.get() >= atLeast, timeout,
                () -> side + " accepted connections: expected at least " + atLeast + ", was " + accepted.get());
    }

    /** The counts, for messages. */
    protected final String counts() {
        return "open=" + open + ", accepted=" + accepted;
    }
}
