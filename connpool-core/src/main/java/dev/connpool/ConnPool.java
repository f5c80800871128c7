package dev.connpool;

import dev.connpool.internal.PoolEngine;

import java.io.IOException;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * A pool of TCP connections to one backend.
 *
 * <pre>{@code
 * ConnPool pool = ConnPool.create("orders", ConnPoolConfig.builder().maxSize(20).build(),
 *         ConnectionFactory.tcp("localhost", 9090, Duration.ofSeconds(10)));
 * try (PooledConnection conn = pool.get()) {
 *     conn.getOutputStream().write("hello\n".getBytes(StandardCharsets.US_ASCII));
 * }
 * pool.close();
 * }</pre>
 *
 * <h2>get</h2>
 * One deadline bounds everything, connecting included. Idle connections are taken most recently
 * returned first and checked cheapest first (lifetime, idle timeout, health check); one that fails
 * is closed and the next one tried. With none idle and room left, the pool opens
 * {@code increment} connections, the first for the caller, the rest in the background, on its
 * own connector threads. At {@code maxSize} the caller waits, first come first served with
 * bounded barging: a thread already running may take a connection just returned while the oldest
 * waiter has waited less than 2.5 ms; past that, returns are handed to waiters in
 * order. It fails before its deadline only with a certain answer: the pool is closed, the connect
 * made for it failed, it was interrupted, too many callers wait already, or the pool backs off
 * after failed connects (see {@link ConnPoolConfig#maxConnectBackoff()}) with nothing open that
 * could come back to it.
 *
 * <p>An interrupted caller never costs the pool a connection: a thread interrupted before or
 * while it gets a connection gets an {@link java.io.InterruptedIOException}, keeps its interrupt
 * flag, and any connection it had claimed goes back unchecked.
 *
 * <h2>Threads</h2>
 * All methods are safe to call from any thread, including virtual threads (the pool never blocks
 * while holding a monitor). The pool runs a housekeeping thread ({@code connpool-<name>-housekeeper})
 * for the evictor and for leak detection (unless both are off), connector threads while connects
 * are in progress (a connect waiting out the connect backoff included), and, while any pool has idle
 * or lifetime checks on, one shared clock thread; {@link #close()} stops and joins them.
 *
 * <h2>Operating a pool</h2>
 * {@link #softEvictAll()} retires every connection (rotation, failover), {@link #suspend()} and
 * {@link #resume()} hold callers and connects back, {@link #resize(int, int)} changes the sizes, and
 * {@link #evictIdle()} closes the idle connections; see {@link ConnPoolConfig#maxConnectBackoff()}
 * and {@link ConnPoolConfig#leakDetectionThreshold()} for what the pool does on its own.
 */
public final class ConnPool implements AutoCloseable {

    private final PoolEngine engine;

    private ConnPool(PoolEngine engine) {
        this.engine = engine;
    }

    /**
     * Creates a pool and opens its {@code minSize} connections (in parallel).
     *
     * @param name a name for logs, metrics and exceptions; not blank
     * @param config the pool's settings
     * @param factory opens the connections
     * @return the running pool
     * @throws IOException if {@code minSize} connections cannot be opened and
     *         {@link ConnPoolConfig#failFast()} is on; the pool is closed again then
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if the name is blank
     */
    public static ConnPool create(String name, ConnPoolConfig config, ConnectionFactory factory) throws IOException {
        Objects.requireNonNull(name, "name must not be null");
        Objects.requireNonNull(config, "config must not be null");
        Objects.requireNonNull(factory, "factory must not be null");
        if (name.isBlank()) {
            throw new IllegalArgumentException("name must not be blank");
        }
        PoolEngine engine = new PoolEngine(name, config, factory);
        engine.start();
        return new ConnPool(engine);
    }

    /**
     * The pool's name.
     *
     * @return the name given to {@link #create}
     */
    public String name() {
        return engine.name();
    }

    /**
     * The pool's settings.
     *
     * @return the configuration given to {@link #create}, with the sizes of the latest
     *         {@link #resize(int, int)}
     */
    public ConnPoolConfig config() {
        return engine.config();
    }

    /**
     * Lends a connection, waiting up to {@link ConnPoolConfig#acquireTimeout()}.
     *
     * @return a lease; close it to give the connection back
     * @throws PoolClosedException if the pool is closed, or closes while waiting
     * @throws AcquireTimeoutException if no connection could be had in time
     * @throws TooManyWaitersException if {@code maxWaiters} callers wait already
     * @throws ConnectFailedException if the connect made for this caller failed, or the pool backs
     *         off after failed connects and no connection in use could come back to this caller
     * @throws java.io.InterruptedIOException if the thread is interrupted before or while getting
     *         a connection; its interrupt flag stays set
     * @throws IOException for the reasons above, all subclasses of it
     */
    public PooledConnection get() throws IOException {
        return engine.get();
    }

    /**
     * Lends a connection, waiting up to the given time.
     *
     * @param timeout the longest to wait, connecting included; zero means "only if one can be had
     *        without waiting". The health check of an idle connection is bounded by this timeout
     *        too, except for timeouts under 2 ms ({@code ZERO} included): those do not wait for a
     *        connection, but the check of the one they take runs within its own timeout
     * @return a lease; close it to give the connection back
     * @throws IOException as {@link #get()}
     * @throws NullPointerException if the timeout is null
     * @throws IllegalArgumentException if the timeout is negative
     */
    public PooledConnection get(Duration timeout) throws IOException {
        Objects.requireNonNull(timeout, "timeout must not be null");
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("timeout must not be negative (was " + timeout + ")");
        }
        return engine.get(timeout.compareTo(Duration.ofDays(365)) > 0 ? Long.MAX_VALUE : timeout.toNanos());
    }

    /**
     * A consistent snapshot of the pool's state and counters.
     *
     * @return the statistics
     */
    public PoolStats stats() {
        return engine.stats();
    }

    /**
     * The failure of the most recent connect, if it failed and nothing has reached the backend
     * since: it is cleared by a successful connect, a passed health check of an idle connection
     * (by a caller or the evictor) and a successful get. Health indicators use it to tell "the
     * backend is unreachable now" from "the pool is busy".
     *
     * @return the failure, or empty if the backend was reached since, or no connect failed
     */
    public Optional<Throwable> lastConnectFailure() {
        return Optional.ofNullable(engine.lastConnectFailure());
    }

    /**
     * Closes every idle connection now (counted as {@link CloseReason#IDLE}), then reopens up to
     * {@code minSize} in the background. Useful after a backend failover. Connections in use are
     * not touched.
     *
     * @return how many connections were closed
     */
    public int evictIdle() {
        return engine.evictIdle();
    }

    /**
     * Retires every connection the pool has open, for a credential, DNS or certificate rotation or
     * a backend failover: idle connections are closed now, connections in use are closed when they
     * are returned (never lent again), and connections whose connect was in progress are closed as
     * soon as it ends (they may have used what was rotated; a caller waiting for one gets a new
     * connect). The pool opens new connections in the background up to {@code minSize}, and on
     * demand beyond. Every connection it closes is counted as {@link CloseReason#LIFETIME}: soft
     * eviction ends each connection's lifetime now. On a closed pool it does nothing.
     *
     * @return how many idle connections were closed now
     */
    public int softEvictAll() {
        return engine.softEvictAll();
    }

    /**
     * Suspends the pool, for a failover or a checkpoint: from now on {@code get} lends nothing and
     * waits, until {@link #resume()} or its own deadline ({@link AcquireTimeoutException}); an
     * interrupt, {@link #close()} and {@code maxWaiters} end or refuse its wait as usual. No connect
     * starts while suspended, the background refill to {@code minSize} included (connects already
     * in progress finish, and their connections become idle). Connections in use can be returned as
     * usual. The pool's housekeeping thread (evictor and leak scan) is stopped and joined before
     * this returns, and started again by {@link #resume()}: with its connections soft-evicted and
     * returned, a suspended pool holds no socket and runs no thread of its own (what a checkpoint of
     * the JVM needs; the shared clock thread belongs to no pool). Idle connections are still vetted
     * (lifetime, idle timeout, check) when lent after the resume. Idempotent; on a closed pool it
     * only records the state ({@code get} fails with {@link PoolClosedException} either way).
     */
    public void suspend() {
        engine.suspend();
    }

    /**
     * Resumes a suspended pool: waiting callers are served (or connect) at once, the pool refills
     * to {@code minSize}, and its housekeeping thread starts again. Idempotent; does nothing to a pool that is not suspended.
     */
    public void resume() {
        engine.resume();
    }

    /**
     * Whether the pool is suspended.
     *
     * @return true between {@link #suspend()} and {@link #resume()}
     */
    public boolean isSuspended() {
        return engine.isSuspended();
    }

    /**
     * Changes the pool's sizes at run time, with the rules of {@link ConnPoolConfig.Builder}. Growing
     * lets waiting callers connect at once and refills to the new {@code minSize}; shrinking closes
     * idle connections beyond the new {@code maxSize} now and lent ones beyond it when they are
     * returned (counted as {@link CloseReason#IDLE}), so once that excess has come back the pool never
     * has more than the new {@code maxSize} open. The configured {@code increment} is kept, capped at
     * {@code maxSize} while the pool is smaller than it. {@link #config()} reflects the change at once.
     * On a closed pool it checks the arguments and does nothing else.
     *
     * @param minSize 0..maxSize
     * @param maxSize at least 1
     * @throws IllegalArgumentException naming the field that breaks a rule, and the rule
     */
    public void resize(int minSize, int maxSize) {
        engine.resize(minSize, maxSize);
    }

    /**
     * Registers a receiver of acquire, usage and connect timings.
     *
     * @param tracker the tracker; not null
     */
    public void addMetricsTracker(MetricsTracker tracker) {
        engine.addTracker(Objects.requireNonNull(tracker, "tracker must not be null"));
    }

    /**
     * Unregisters a tracker.
     *
     * @param tracker a tracker added before
     * @return whether it was registered
     */
    public boolean removeMetricsTracker(MetricsTracker tracker) {
        return engine.removeTracker(tracker);
    }

    /**
     * Whether {@link #close()} has been called.
     *
     * @return true once closing has begun
     */
    public boolean isClosed() {
        return engine.isClosed();
    }

    /**
     * Closes the pool: idle connections are closed at once, waiting callers fail with
     * {@link PoolClosedException}, connections in use are closed when their users return them,
     * and the pool's threads are stopped and joined. Idempotent; counters are kept.
     */
    @Override
    public void close() {
        engine.close(-1);
    }

    /**
     * Closes the pool as {@link #close()}, then waits up to the grace period for connections in use
     * to come back, and closes any still out under their users.
     *
     * @param gracePeriod how long to wait for connections in use; not negative
     * @return true if every connection came back within the grace period
     */
    public boolean close(Duration gracePeriod) {
        Objects.requireNonNull(gracePeriod, "gracePeriod must not be null");
        if (gracePeriod.isNegative()) {
            throw new IllegalArgumentException("gracePeriod must not be negative (was " + gracePeriod + ")");
        }
        return engine.close(gracePeriod.toNanos());
    }

    @Override
    public String toString() {
        return "ConnPool[" + name() + ", " + stats() + "]";
    }
}
