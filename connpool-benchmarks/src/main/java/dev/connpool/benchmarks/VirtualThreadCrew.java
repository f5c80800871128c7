package dev.connpool.benchmarks;

import java.lang.reflect.InvocationTargetException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Phaser;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * {@value #THREADS} virtual threads that stay up for the whole trial and serve {@value #REQUESTS}
 * requests per {@link #serve} call, each with its own {@link Request}.
 *
 * <p>Why a standing crew: starting 1,000 virtual threads per benchmark invocation would put
 * thread creation and start-up in every measurement, and a pool that is fast with virtual threads
 * would be drowned by it. Here the threads start in the trial's setup; an invocation only drops
 * {@value #REQUESTS} tickets in a shared counter and releases the crew, each thread takes tickets
 * (borrow, round trip, return) until none is left, and the invocation ends when all of them have
 * reported back. What is measured besides the pool is one wake-up and one arrival per thread per
 * invocation (1,000 against 10,000 requests, each of which is a loopback round trip), the same
 * for every pool. The batch is large enough that its ragged end, when fewer threads than
 * connections still have tickets, is a sliver of it.
 *
 * <p>The module compiles with {@code --release 17}, where {@code Thread.ofVirtual()} does not
 * exist: the builder is looked up reflectively once, at setup, and the crew refuses to start on a
 * JVM without it. {@code run.sh} skips the scenario there.
 */
@State(Scope.Benchmark)
public class VirtualThreadCrew {

    /** Virtual threads in the crew. */
    public static final int THREADS = 1_000;
    /** Requests served per benchmark invocation, shared out among the crew. */
    public static final int REQUESTS = 10_000;

    /** One request through the pool under test. */
    @FunctionalInterface
    public interface Work {
        /**
         * Borrows a connection, runs the request on it, gives it back.
         *
         * @param request the calling thread's own request
         * @throws Exception whatever the pool or the I/O throws
         */
        void run(Request request) throws Exception;
    }

    // The benchmark thread is the only party of start: its arrive() opens one round. All of the crew
    // and the benchmark thread are parties of finish: the round is over when every thread arrived.
    private final Phaser start = new Phaser(1);
    private final Phaser finish = new Phaser(THREADS + 1);
    // Tickets of the current round; below zero once exhausted (each thread's last take overshoots by one).
    private final AtomicInteger tickets = new AtomicInteger();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final List<Thread> crew = new ArrayList<>(THREADS);
    // Written by the benchmark thread before start.arrive(), read by the crew after it: the phaser orders them.
    private volatile Work work;
    private volatile boolean stopping;

    /**
     * Starts the crew, parked until the first round.
     *
     * @throws UnsupportedOperationException on a JVM without virtual threads (before JDK 21)
     */
    @Setup(Level.Trial)
    public void startCrew() {
        ThreadFactory factory = virtualThreads();
        for (int i = 0; i < THREADS; i++) {
            Thread t = factory.newThread(this::loop);
            crew.add(t);
            t.start();
        }
    }

    /**
     * Serves {@link #REQUESTS} requests with the whole crew and returns when all are done.
     *
     * @param w one request through the pool under test
     * @throws Exception the first failure of any thread in this round
     */
    public void serve(Work w) throws Exception {
        work = w;
        tickets.set(REQUESTS);
        start.arrive();
        finish.arriveAndAwaitAdvance();
        Throwable f = failure.getAndSet(null);
        if (f instanceof Exception) {
            throw (Exception) f;
        }
        if (f != null) {
            throw new IllegalStateException("a virtual thread failed", f);
        }
    }

    private void loop() {
        Request request = new Request();
        int phase = 0;
        for (;;) {
            phase = start.awaitAdvance(phase);
            if (stopping) {
                return;
            }
            Work w = work;
            try {
                while (tickets.getAndDecrement() > 0) {
                    w.run(request);
                }
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
                tickets.set(0); // the round is lost: let the others finish it quickly
            }
            finish.arrive();
        }
    }

    /**
     * Stops the crew between rounds.
     *
     * @throws InterruptedException if interrupted while joining it
     */
    @TearDown(Level.Trial)
    public void stopCrew() throws InterruptedException {
        stopping = true;
        start.arrive();
        for (Thread t : crew) {
            t.join(5_000);
        }
    }

    /**
     * {@code Thread.ofVirtual().name("crew-", 0).factory()}, looked up at run time.
     *
     * @return a factory of unstarted virtual threads
     * @throws UnsupportedOperationException if this JVM has none
     */
    static ThreadFactory virtualThreads() {
        try {
            // through the public interface Thread.Builder: the builder's own class is not accessible
            Class<?> builderType = Class.forName("java.lang.Thread$Builder");
            Object builder = Thread.class.getMethod("ofVirtual").invoke(null);
            builder = builderType.getMethod("name", String.class, long.class).invoke(builder, "crew-", 0L);
            return (ThreadFactory) builderType.getMethod("factory").invoke(builder);
        } catch (ClassNotFoundException | NoSuchMethodException | IllegalAccessException e) {
            throw unsupported(e);
        } catch (InvocationTargetException e) {
            // JDK 19 and 20 have the method but throw unless preview features are on
            throw unsupported(e.getCause());
        }
    }

    private static UnsupportedOperationException unsupported(Throwable cause) {
        return new UnsupportedOperationException("virtual threads need JDK 21 or later; this JVM is "
                + Runtime.version(), cause);
    }
}
