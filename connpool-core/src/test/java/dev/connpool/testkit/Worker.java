package dev.connpool.testkit;

import java.time.Duration;

/**
 * A thread a test starts for one party of a scenario (a waiter, a second caller): whatever it
 * throws, an assertion included, reaches the test through {@link #join(Duration)}, which also fails
 * if the thread has not ended in time. A plain {@code Thread} loses both.
 */
public final class Worker {

    /** The party's work. */
    @FunctionalInterface
    public interface Body {
        void run() throws Exception;
    }

    private final Thread thread;
    private volatile Throwable failure;

    private Worker(String name, Body body) {
        this.thread = new Thread(() -> {
            try {
                body.run();
            } catch (Throwable e) {
                failure = e;
            }
        }, name);
        thread.setDaemon(true);
    }

    /** Starts {@code body} on a thread named {@code name}. */
    public static Worker start(String name, Body body) {
        Worker w = new Worker(name, body);
        w.thread.start();
        return w;
    }

    public Thread thread() {
        return thread;
    }

    public void interrupt() {
        thread.interrupt();
    }

    /**
     * Waits for the thread to end, then rethrows what it threw.
     *
     * @throws AssertionError if the thread is still running after {@code timeout} (it is interrupted
     *         then), or with what it threw as the cause
     */
    public void join(Duration timeout) {
        try {
            Threads.join(thread, timeout);
        } catch (IllegalStateException e) {
            thread.interrupt();
            throw new AssertionError(thread.getName() + " still running after " + timeout.toMillis() + " ms", e);
        }
        Throwable f = failure;
        if (f instanceof AssertionError) {
            throw (AssertionError) f;
        }
        if (f != null) {
            throw new AssertionError(thread.getName() + " failed: " + f, f);
        }
    }
}
