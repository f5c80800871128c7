package dev.connpool.internal;

import dev.connpool.AcquireTimeoutException;
import dev.connpool.CloseReason;
import dev.connpool.ConnPoolConfig;
import dev.connpool.ConnectFailedException;
import dev.connpool.ConnectionFactory;
import dev.connpool.HealthCheckSkippedException;
import dev.connpool.MetricsTracker;
import dev.connpool.PoolClosedException;
import dev.connpool.PoolStats;
import dev.connpool.PooledConnection;
import dev.connpool.TooManyWaitersException;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;

/**
 * The pool engine's front: {@code get()} and {@code release()}, kept small enough to inline into
 * the caller, over one class per job:
 * <ul>
 *   <li>{@link Bag}: claim, put back, hand-off to waiters, bounded barging (the lock-free part);</li>
 *   <li>{@link Capacity}: room, connects in flight, growth;</li>
 *   <li>{@link Intake}: what runs on a connector thread, taking connects in;</li>
 *   <li>{@link Vetting}: lifetime, idle timeout, health check, as a verdict;</li>
 *   <li>{@link Acquirer}: the get loop beyond the fast path, waiting, deadlines;</li>
 *   <li>{@link Closer}: the one path that closes sockets;</li>
 *   <li>{@link Housekeeper}: the evictor's runs, {@code evictIdle()} and {@code softEvictAll()};</li>
 *   <li>{@link LeakDetector}: leak detection, when on;</li>
 *   <li>{@link HousekeepingThread}: the thread that runs the evictor and the leak scan;</li>
 *   <li>{@link Lifecycle}: start, suspend and resume, close;</li>
 *   <li>{@link Counters}: statistics and metrics trackers.</li>
 * </ul>
 * All share one lock, the bag's: the rare paths take it and stay plain; the fast path never does.
 *
 * <p>The fast path: a thread that is not interrupted claims an available slot without the lock
 * (its hint, else the top of the idle stack), vets it with the coarse clock, and, if the pool has
 * no health check or the connection was idle less than {@code healthCheckAfterIdle}, lends it. The
 * lease is the only allocation, and escape analysis removes it when the caller keeps the lease in
 * a try-with-resources block. Leak detection, when on, adds the record of where the lease began.
 *
 * <p>The operator's controls ({@link #suspend()}, {@link #resize}, {@link #softEvictAll()}) take
 * the lock and change what the rare paths decide; the fast path sees them through fields it reads
 * anyway (the bag's {@code suspended} next to {@code handOff}, the slot's {@code retiring} next to
 * its state, the room's {@code overSize} after a put-back's CAS).
 */
public final class PoolEngine {

    static final System.Logger LOG = System.getLogger("dev.connpool");

    /** Longer than any wait: timeouts are capped at it, and "no deadline" is now plus it (no overflow). */
    static final long NO_DEADLINE = Long.MAX_VALUE / 4;

    static {
        // Initialize now what callers may first need all at once: thousands of virtual threads
        // meeting a class initializer in get() would pin their carriers while one runs it.
        for (Class<?> c : new Class<?>[] {Lease.class, Waiter.class, WaiterQueue.class, Connector.Task.class,
                Acquirer.class, Vetting.class, Closer.class, AcquireTimeoutException.class,
                PoolClosedException.class, TooManyWaitersException.class, ConnectFailedException.class,
                HealthCheckSkippedException.class, InterruptedIOException.class}) {
            try {
                Class.forName(c.getName(), true, c.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new ExceptionInInitializerError(e);
            }
        }
    }

    final String name;
    /** The settings, replaced by {@link #resize}. */
    private volatile ConnPoolConfig config;
    /** The increment as configured, which a resize caps at maxSize but does not forget. */
    private final int configuredIncrement;
    private final long acquireTimeoutNanos;
    /** Whether a lock-free claim can lend without a health check: no check, or a window to skip it. */
    private final boolean quickLends;

    final Counters counters;
    final Bag bag;
    final Capacity capacity;
    final Intake intake;
    final Closer closer;
    private final Vetting vetting;
    private final Acquirer acquirer;
    private final Housekeeper housekeeper;
    /** Null while leak detection is off: then get and release pay one branch for it. */
    private final LeakDetector leaks;
    private final Lifecycle lifecycle;

    /**
     * Builds an engine; it opens nothing and starts no evictor before {@link #start()}.
     *
     * @param name the pool's name
     * @param config its settings
     * @param factory what opens its connections
     */
    public PoolEngine(String name, ConnPoolConfig config, ConnectionFactory factory) {
        this.name = name;
        this.config = config;
        this.configuredIncrement = config.increment();
        this.acquireTimeoutNanos = saturatedNanos(config.acquireTimeout());
        long maxLifetimeNanos = saturatedNanos(config.maxLifetime());
        this.counters = new Counters(name);
        this.bag = new Bag(this, config.maxSize());
        this.capacity = new Capacity(this, counters, config.minSize(), config.maxSize(), config.increment(),
                saturatedNanos(config.maxConnectBackoff()));
        this.intake = new Intake(this, capacity, factory, counters, maxLifetimeNanos);
        this.closer = new Closer(this);
        this.vetting = new Vetting(config.healthCheck(), saturatedNanos(config.idleTimeout()), maxLifetimeNanos,
                saturatedNanos(config.healthCheckAfterIdle()));
        this.quickLends = vetting.lendsWithoutCheck();
        this.acquirer = new Acquirer(this, vetting, counters, config.maxWaiters());
        this.housekeeper = new Housekeeper(this, vetting);
        long leakThreshold = saturatedNanos(config.leakDetectionThreshold());
        this.leaks = leakThreshold > 0 ? new LeakDetector(this, leakThreshold) : null;
        Duration interval = config.evictInterval();
        boolean evicting = !interval.isZero() && !interval.isNegative();
        HousekeepingThread housekeeping = !evicting && leaks == null ? null
                : new HousekeepingThread(name, evicting ? this::evict : null,
                        evicting ? saturatedNanos(interval) : 0,
                        leaks == null ? null : leaks::scan, leaks == null ? 0 : leaks.scanIntervalNanos());
        this.lifecycle = new Lifecycle(this, housekeeping, vetting.timed);
    }

    static long saturatedNanos(Duration d) {
        if (d.compareTo(Duration.ofNanos(NO_DEADLINE)) >= 0) {
            return NO_DEADLINE;
        }
        return d.toNanos();
    }

    /**
     * The pool's name.
     *
     * @return the name
     */
    public String name() {
        return name;
    }

    /**
     * The pool's settings.
     *
     * @return the configuration
     */
    public ConnPoolConfig config() {
        return config;
    }

    /**
     * Opens {@code minSize} connections in parallel and waits for them.
     *
     * @throws IOException the first connect failure, if {@code failFast}
     */
    public void start() throws IOException {
        lifecycle.start(config.failFast());
    }

    // =====================================================================================
    // get and release
    // =====================================================================================

    /**
     * Lends a connection within the configured acquire timeout.
     *
     * @return a lease
     * @throws IOException as {@link dev.connpool.ConnPool#get()}
     */
    public PooledConnection get() throws IOException {
        return get(acquireTimeoutNanos);
    }

    /**
     * Lends a connection within the given time.
     *
     * @param timeoutNanos the longest to wait, connecting included
     * @return a lease
     * @throws IOException as {@link dev.connpool.ConnPool#get()}
     */
    public PooledConnection get(long timeoutNanos) throws IOException {
        // Kept small so that it inlines into the caller: the one Lease allocation is here, where
        // escape analysis sees it stay in the caller's try-with-resources block and removes it.
        long t0 = counters.tracking() ? System.nanoTime() : 0L;
        Slot s = claimQuickly();
        if (s == null) {
            s = acquirer.acquire(Math.min(timeoutNanos, NO_DEADLINE));
        }
        long seq = Slot.seqOf(s.state());
        if (leaks != null) {
            leaks.lent(s, seq);
        }
        return new Lease(this, s, seq, t0 == 0L ? 0L : acquired(t0));
    }

    /**
     * The fast path: a lock-free claim of a slot that passes without a health check, for a thread
     * that is not interrupted (an interrupted one gets its {@code InterruptedIOException} from the
     * slow path).
     */
    private Slot claimQuickly() {
        if (!quickLends || Thread.currentThread().isInterrupted()) {
            return null;
        }
        Slot s = bag.claimFast();
        if (s == null) {
            return null;
        }
        int v = vetting.verdict(s, true);
        if (v == Vetting.LEND) {
            s.countFastLease();
            return s;
        }
        if (v == Vetting.LEND_SKIPPING_CHECK) {
            s.countFastLease();
            s.countSkippedCheck();
            return s;
        }
        // it needs a check or must go: the slow path claims and vets again, within a deadline
        bag.putBack(s, Slot.seqOf(s.state()), false);
        return null;
    }

    /** Reports an acquire time to the trackers; returns now, when the lease starts. */
    private long acquired(long t0) {
        long now = System.nanoTime();
        counters.acquired(now - t0);
        return now;
    }

    void release(Slot s, long seq, boolean unusable, long leasedAt) {
        if (leasedAt != 0L) {
            counters.released(System.nanoTime() - leasedAt);
        }
        if (leaks != null) {
            leaks.returned(s, seq);
        }
        if (unusable) {
            closer.destroy(s, seq, CloseReason.UNUSABLE);
            return;
        }
        if (vetting.timed) {
            long now = CoarseClock.now();
            if (s.expired(now)) {
                closer.destroy(s, seq, CloseReason.LIFETIME);
                return;
            }
            s.idleSince = now;
        }
        bag.putBack(s, seq, true);
    }

    /** Runs on a connector thread. */
    void connect(Connector.Task task) {
        intake.connect(task);
    }

    // =====================================================================================
    // housekeeping, close
    // =====================================================================================

    /**
     * One evictor run: check idle connections oldest first, then refill to minSize. The housekeeping
     * thread runs it; EngineModelCheckIT calls it (reflectively) as an operation of its scenarios.
     */
    void evict() {
        housekeeper.evict();
    }

    /**
     * One leak scan, as the housekeeping thread runs it; nothing while leak detection is off. Tests
     * call it (through {@code EngineHooks}) after moving the clock, so "reported" and "not yet" are
     * exact.
     */
    void scanForLeaks() {
        if (leaks != null) {
            leaks.scan();
        }
    }

    /**
     * Closes every idle connection now (reason idle), then refills to minSize.
     *
     * @return how many were closed
     */
    public int evictIdle() {
        return housekeeper.evictIdle();
    }

    /**
     * Retires every open connection: idle ones closed now, lent ones on return; then refills.
     *
     * @return how many idle connections were closed now
     */
    public int softEvictAll() {
        return housekeeper.softEvictAll();
    }

    /** Stops lending and connecting until {@link #resume()}; returns still work. */
    public void suspend() {
        lifecycle.suspend();
    }

    /**
     * Lends and connects again: the waiters, who have waited through the suspension, are served in
     * order (hand-off mode) before anyone barges in, and the pool refills to {@code minSize}.
     */
    public void resume() {
        lifecycle.resume();
    }

    /**
     * Whether the pool is suspended.
     *
     * @return true between suspend and resume
     */
    public boolean isSuspended() {
        return bag.suspended;
    }

    /**
     * Changes the sizes, with the builder's rules; see {@link dev.connpool.ConnPool#resize}.
     *
     * @param minSize the new minimum
     * @param maxSize the new maximum
     * @throws IllegalArgumentException naming the field that breaks a rule
     */
    public void resize(int minSize, int maxSize) {
        Slot[] excess;
        bag.lock.lock();
        try {
            ConnPoolConfig next = config.toBuilder().minSize(minSize).maxSize(maxSize)
                    .increment(Math.min(configuredIncrement, Math.max(maxSize, 1))).build();
            if (bag.closed) {
                return;
            }
            config = next;
            excess = capacity.resizeLocked(minSize, maxSize, next.increment());
        } finally {
            bag.lock.unlock();
        }
        closer.closeAndRetireAll(excess, CloseReason.IDLE);
    }

    /**
     * Whether closing has begun.
     *
     * @return true after the first close
     */
    public boolean isClosed() {
        return bag.closed;
    }

    /**
     * Closes the pool. Idle connections are closed at once and waiters fail. With a negative
     * grace, connections in use are closed when returned; otherwise this waits up to the grace
     * for them and then closes the rest under their users.
     *
     * @param graceNanos how long to wait for lent connections, or negative not to wait
     * @return true if no connection was left open and none had to be closed under its user
     */
    public boolean close(long graceNanos) {
        return lifecycle.close(graceNanos);
    }

    // =====================================================================================
    // stats, trackers
    // =====================================================================================

    /**
     * A consistent snapshot, taken under the lock.
     *
     * @return the statistics
     */
    public PoolStats stats() {
        bag.lock.lock();
        try {
            return statsLocked();
        } finally {
            bag.lock.unlock();
        }
    }

    PoolStats statsLocked() {
        return counters.snapshotLocked(capacity.all, capacity.open, bag.stack.countAvailable(), bag.waiters.size(),
                capacity.connecting);
    }

    /** Gets that returned a connection so far; with the lock held. */
    long successesLocked() {
        return counters.successesLocked(capacity.all, capacity.open);
    }

    /**
     * The failure of the latest attempt to reach the backend, unless a connection was connected,
     * checked or lent successfully since.
     *
     * @return the failure, or null
     */
    public Throwable lastConnectFailure() {
        if (intake.lastFailure == null) {
            return null;
        }
        bag.lock.lock();
        try {
            return intake.lastFailureLocked();
        } finally {
            bag.lock.unlock();
        }
    }

    /**
     * Registers a metrics tracker (copy on write: the hot path reads a plain array).
     *
     * @param tracker the tracker
     */
    public void addTracker(MetricsTracker tracker) {
        counters.add(tracker);
    }

    /**
     * Unregisters a metrics tracker.
     *
     * @param tracker the tracker
     * @return whether it was registered
     */
    public boolean removeTracker(MetricsTracker tracker) {
        return counters.remove(tracker);
    }

    /** The drawn lifetime of a connection, for tests: its expiry minus its creation. */
    static long lifetimeOf(Slot s) {
        return s.mortal ? s.expiresAt - s.createdAt : 0;
    }

    /** Draws a lifetime as a new connection would, for tests. */
    long drawLifetime() {
        return intake.drawLifetime();
    }
}
