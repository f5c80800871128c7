package dev.connpool.testkit;

import dev.connpool.ConnPool;
import dev.connpool.PooledConnection;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A {@code get} on a thread of its own, for tests that need a caller waiting in the pool while they
 * act: its outcome is the connection it got (left open) or what it threw, and the time it took.
 */
public final class AsyncGet {

    private final CompletableFuture<Object> outcome = new CompletableFuture<>();
    private final Thread thread;
    private volatile Socket socket;
    private volatile long tookNanos;
    private volatile boolean interruptKept;

    private AsyncGet(ThreadFactory threads, ConnPool pool, Duration timeout, boolean giveBack) {
        thread = threads.newThread(() -> {
            long t0 = System.nanoTime();
            Object result;
            try {
                PooledConnection c = pool.get(timeout);
                socket = c.socket();
                if (giveBack) {
                    c.close();
                }
                result = c;
            } catch (Throwable e) {
                result = e;
            }
            tookNanos = System.nanoTime() - t0;
            interruptKept = Thread.currentThread().isInterrupted();
            outcome.complete(result);
        });
    }

    /** Starts a get on a new platform thread. */
    public static AsyncGet start(ConnPool pool, Duration timeout) {
        return start(r -> {
            Thread t = new Thread(r, "async-get");
            t.setDaemon(true);
            return t;
        }, pool, timeout);
    }

    /** Starts a get on a thread of the factory (a virtual one, say). */
    public static AsyncGet start(ThreadFactory threads, ConnPool pool, Duration timeout) {
        return start(threads, pool, timeout, false);
    }

    /**
     * Starts a get on a thread of the factory; with {@code giveBack}, the connection it gets is
     * returned at once (its outcome is then the closed lease), so many such callers can share a pool.
     */
    public static AsyncGet start(ThreadFactory threads, ConnPool pool, Duration timeout, boolean giveBack) {
        AsyncGet g = new AsyncGet(threads, pool, timeout, giveBack);
        g.thread.start();
        return g;
    }

    /** Starts {@code n} gets on threads of the factory, as {@link #start(ThreadFactory, ConnPool, Duration, boolean)}. */
    public static List<AsyncGet> startMany(int n, ThreadFactory threads, ConnPool pool, Duration timeout,
            boolean giveBack) {
        List<AsyncGet> gets = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            gets.add(start(threads, pool, timeout, giveBack));
        }
        return gets;
    }

    /** The thread the get runs on. */
    public Thread thread() {
        return thread;
    }

    public boolean isDone() {
        return outcome.isDone();
    }

    public void interrupt() {
        thread.interrupt();
    }

    /** The connection or the throwable, once the get ended (within the bound); the thread is joined. */
    public Object outcome(Duration bound) throws Exception {
        try {
            Object o = outcome.get(bound.toMillis(), TimeUnit.MILLISECONDS);
            Threads.join(thread, Duration.ofSeconds(5));
            return o;
        } catch (TimeoutException e) {
            throw new AssertionError("the get has not ended within " + bound.toMillis() + " ms");
        }
    }

    /** The connection it got, within the bound; fails with what it threw instead. */
    public PooledConnection connection(Duration bound) throws Exception {
        Object o = outcome(bound);
        if (o instanceof PooledConnection) {
            return (PooledConnection) o;
        }
        throw new AssertionError("the get failed: " + o, (Throwable) o);
    }

    /** The socket of the connection it got (given back or not), or null; valid once it ended. */
    public Socket socket() {
        return socket;
    }

    /** How long the get took; valid once it ended. */
    public Duration took() {
        return Duration.ofNanos(tookNanos);
    }

    /** Whether the thread's interrupt flag was set when the get ended. */
    public boolean interruptKept() {
        return interruptKept;
    }
}
