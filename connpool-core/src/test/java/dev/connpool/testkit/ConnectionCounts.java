package dev.connpool.testkit;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What a test server sees of its connections: how many it accepted, how many are open now, and
 * the most that were open at once. The servers of this kit count with one of these, so that every
 * server-side count a test asserts means the same thing.
 */
public final class ConnectionCounts {

    private final String side;
    private final AtomicInteger accepted = new AtomicInteger();
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicInteger maxOpen = new AtomicInteger();

    /** @param side how failure messages name the counting side, e.g. "server-side" or "proxy-side" */
    public ConnectionCounts(String side) {
        this.side = side;
    }

    /** Counts a connection accepted and open. */
    public void acceptedAndOpen() {
        accepted();
        opened();
    }

    /** Counts a connection accepted (not yet open: see {@link #opened()}). */
    public void accepted() {
        accepted.incrementAndGet();
    }

    /** Counts a connection open. */
    public void opened() {
        maxOpen.accumulateAndGet(open.incrementAndGet(), Math::max);
    }

    /** Counts a connection closed. */
    public void closed() {
        open.decrementAndGet();
    }

    /** Connections accepted so far. */
    public int acceptedCount() {
        return accepted.get();
    }

    /** Connections open now. */
    public int openCount() {
        return open.get();
    }

    /** The most connections that were open at once. */
    public int maxOpenCount() {
        return maxOpen.get();
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

    @Override
    public String toString() {
        return "open=" + open + ", accepted=" + accepted;
    }
}
