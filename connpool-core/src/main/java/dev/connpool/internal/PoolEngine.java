package dev.connpool.internal;

import dev.connpool.AcquireTimeoutException;
import dev.connpool.CloseReason;
import dev.connpool.ConnPoolConfig;
import dev.connpool.ConnPoolException;
import dev.connpool.ConnectFailedException;
import dev.connpool.ConnectionFactory;
import dev.connpool.HealthCheck;
import dev.connpool.HealthCheckSkippedException;
import dev.connpool.MetricsTracker;
import dev.connpool.PoolClosedException;
import dev.connpool.PoolStats;
import dev.connpool.PooledConnection;
import dev.connpool.TooManyWaitersException;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The pool engine: the get path and the release path, side by side.
 *
 * <h2>Why it is fast</h2>
 * Each thread remembers the last connection it was lent (its <em>hint</em>). A {@code get} with
 * nobody waiting claims that connection with one CAS on its state word and leaves its idle-stack
 * entry where it is (a <em>ghost</em>); the matching release is one CAS back. No lock, no queue
 * operation, no allocation (the lease object is scalar-replaced when the caller uses it in a
 * try-with-resources block), and no {@code System.nanoTime()}: idle and lifetime checks read the
 * {@link CoarseClock}. Everything else (a thread's first get, contention, growth, waiting,
 * destroying) takes the slow path under one lock, which keeps the rare paths plain.
 *
 * <h2>Invariants (under {@link #lock})</h2>
 * <ul>
 *   <li>{@code open + connecting <= maxSize}: room is reserved before a connect starts and
 *       freed when it fails or the connection is destroyed.</li>
 *   <li>Every available slot is in the idle stack; a slot is in {@code all} iff it is not removed.</li>
 *   <li>While anybody waits, no slot is available: whoever makes one available with waiters
 *       present serves them ({@link #serveWaitersLocked()}). The release fast path makes a slot
 *       available without the lock only after seeing no waiters, and re-checks afterwards
 *       (a Dekker-style pair with the waiter, which enqueues before it looks at the stack).</li>
 *   <li>A slot lent to one lease at a time: claims bump the slot's sequence by CAS, and only
 *       the holder of the current sequence can release or destroy it.</li>
 * </ul>
 */
public final class PoolEngine {

    static final System.Logger LOG = System.getLogger("dev.connpool");

    private static final MetricsTracker[] NO_TRACKERS = new MetricsTracker[0];
    private static final long MAX_TIMEOUT_NANOS = Long.MAX_VALUE / 4;
    /** How long {@code close()} waits for connects in progress to end. */
    private static final long CONNECTOR_JOIN_NANOS = TimeUnit.SECONDS.toNanos(10);
    /** Spins before yielding: a hand-off often arrives within a microsecond. */
    private static final int SPINS = Runtime.getRuntime().availableProcessors() > 1 ? 64 : 0;
    /** Yields before parking: lets the holder of a connection run, without a wake-up to pay for. */
    private static final int YIELDS = 32;

    static {
        // Initialize now what callers may first need all at once: thousands of virtual threads
        // meeting a class initializer in get() would pin their carriers while one runs it.
        for (Class<?> c : new Class<?>[] {Lease.class, Waiter.class, WaiterQueue.class, Connector.Task.class,
                AcquireTimeoutException.class, PoolClosedException.class, TooManyWaitersException.class,
                ConnectFailedException.class, HealthCheckSkippedException.class, InterruptedIOException.class}) {
            try {
                Class.forName(c.getName(), true, c.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new ExceptionInInitializerError(e);
            }
        }
    }

    final String name;
    private final ConnPoolConfig config;
    private final ConnectionFactory factory;
    /** Null when the configured check is {@link HealthCheck#none()}. */
    private final HealthCheck healthCheck;
    private final int minSize;
    private final int maxSize;
    private final int increment;
    private final int maxWaiters;
    private final long idleTimeoutNanos;
    private final long maxLifetimeNanos;
    private final long acquireTimeoutNanos;
    /** Whether idle or lifetime checks are on, which is when the coarse clock is needed. */
    private final boolean timed;

    private final ThreadLocal<Slot> hint = new ThreadLocal<>();
    private volatile MetricsTracker[] trackers = NO_TRACKERS;
    /** Mirrors {@code waiters.size()}; written under the lock, read by the lock-free paths. */
    private volatile int waiterCount;
    private volatile boolean closed;
    private volatile Throwable lastConnectFailure;

    private final Connector connector;
    private final Evictor evictor;

    final ReentrantLock lock = new ReentrantLock();
    /** Signalled when the pool is closed and its last connection went away. */
    private final Condition drained = lock.newCondition();
    private final CountDownLatch closeDone = new CountDownLatch(1);

    // ---- guarded by lock ----
    private final IdleStack stack;
    private final WaiterQueue waiters = new WaiterQueue();
    /** Open slots in no particular order; the first {@code open} entries are used. */
    private final Slot[] all;
    private int open;
    /** Slots removed whose sockets are being closed: still in {@code open}, so their room stays taken. */
    private int dying;
    private int connecting;
    /** Connects started for no waiter in particular, which a newly queued waiter may adopt. */
    private final ArrayDeque<Connector.Task> unassigned = new ArrayDeque<>();
    private long created;
    private long connectFailures;
    private final long[] closedBy = new long[CloseReason.values().length];
    private long retiredFastLeases;
    private long timeouts;
    private long waitCount;
    private long waitNanos;

    // ---- lock-free counters of the slow path ----
    private final AtomicLong slowRequests = new AtomicLong();
    private final AtomicLong slowSuccesses = new AtomicLong();

    /**
     * Builds an engine; opens nothing yet (see {@link #start()}), but starts the evictor schedule.
     *
     * @param name the pool's name
     * @param config its settings
     * @param factory what opens its connections
     */
    public PoolEngine(String name, ConnPoolConfig config, ConnectionFactory factory) {
        this.name = name;
        this.config = config;
        this.factory = factory;
        this.healthCheck = config.healthCheck() == HealthCheck.none() ? null : config.healthCheck();
        this.minSize = config.minSize();
        this.maxSize = config.maxSize();
        this.increment = config.increment();
        this.maxWaiters = config.maxWaiters();
        this.idleTimeoutNanos = saturatedNanos(config.idleTimeout());
        this.maxLifetimeNanos = saturatedNanos(config.maxLifetime());
        this.acquireTimeoutNanos = saturatedNanos(config.acquireTimeout());
        this.timed = idleTimeoutNanos > 0 || maxLifetimeNanos > 0;
        this.stack = new IdleStack(maxSize);
        this.all = new Slot[maxSize];
        if (timed) {
            CoarseClock.retain();
        }
        this.connector = new Connector(name);
        Duration interval = config.evictInterval();
        this.evictor = interval.isZero() || interval.isNegative() ? null
                : new Evictor(this, name, saturatedNanos(interval));
    }

    static long saturatedNanos(Duration d) {
        if (d.compareTo(Duration.ofNanos(MAX_TIMEOUT_NANOS)) >= 0) {
            return MAX_TIMEOUT_NANOS;
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
        if (minSize == 0) {
            return;
        }
        List<Throwable> failures = new ArrayList<>();
        CountDownLatch done = new CountDownLatch(minSize);
        List<Connector.Task> tasks = new ArrayList<>(minSize);
        lock.lock();
        try {
            for (int i = 0; i < minSize; i++) {
                Connector.Task t = new Connector.Task(this, null, err -> {
                    if (err != null) {
                        synchronized (failures) {
                            failures.add(err);
                        }
                    }
                    done.countDown();
                });
                connecting++;
                unassigned.add(t);
                tasks.add(t);
            }
        } finally {
            lock.unlock();
        }
        tasks.forEach(connector::submit);
        boolean interrupted = false;
        while (true) {
            try {
                done.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (!failures.isEmpty() && config.failFast()) {
            Throwable first = failures.get(0);
            close(-1);
            IOException e = new ConnectFailedException(name, first);
            failures.stream().skip(1).forEach(e::addSuppressed);
            throw e;
        }
    }

    // =====================================================================================
    // get
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
        MetricsTracker[] tr = trackers;
        long t0 = tr.length == 0 ? 0L : System.nanoTime();
        Slot s = healthCheck == null ? claimHinted(0L) : null;
        if (s == null) {
            s = acquire(Math.min(timeoutNanos, MAX_TIMEOUT_NANOS));
        }
        long leasedAt = t0 == 0L ? 0L : acquired(tr, t0);
        if (lastConnectFailure != null) {
            // a connection was lent: the backend is reachable again
            lastConnectFailure = null;
        }
        return new Lease(this, s, Slot.seqOf(s.state()), leasedAt);
    }

    /** Everything but the unchecked fast path: the checked fast path, then the slow path. */
    private Slot acquire(long timeout) throws IOException {
        long deadline = System.nanoTime() + timeout;
        try {
            Slot s = healthCheck == null ? null : claimHinted(deadline);
            return s != null ? s : slowGet(timeout, deadline);
        } catch (HealthCheckSkippedException e) {
            // no time was left to check a connection, so none can be lent: time out at the deadline
            waitUntil(deadline);
            throw timedOut(timeout);
        }
    }

    /** Waits out what little is left of a get whose health check found no time to run. */
    private void waitUntil(long deadline) throws InterruptedIOException {
        for (long left; (left = deadline - System.nanoTime()) > 0; ) {
            if (Thread.currentThread().isInterrupted()) {
                throw new InterruptedIOException(
                        "interrupted while waiting for a connection from pool '" + name + "'");
            }
            LockSupport.parkNanos(this, left);
        }
    }

    /**
     * Reports an acquire time to the trackers.
     *
     * @return now, when the lease starts
     */
    private static long acquired(MetricsTracker[] tr, long t0) {
        long now = System.nanoTime();
        for (MetricsTracker t : tr) {
            t.acquired(now - t0);
        }
        return now;
    }

    /**
     * The fast path: claims the connection this thread returned last, if nobody waits (they come
     * first) and it is still idle, and checks it.
     *
     * @param deadline when the caller needs a connection, for a health check (unused without one)
     * @return the slot, now held by the caller, or null to take the slow path
     * @throws HealthCheckSkippedException if the check found no time left (the slot was put back)
     */
    private Slot claimHinted(long deadline) throws HealthCheckSkippedException {
        if (waiterCount != 0) {
            return null;
        }
        Slot s = hint.get();
        if (s == null) {
            return null;
        }
        long seq = s.claimInPlace();
        if (seq < 0 || !usable(s, seq, deadline)) {
            return null;
        }
        s.countFastLease();
        return s;
    }

    /**
     * Checks a slot the caller holds, cheapest first: lifetime, idle timeout, health. A slot that
     * fails is destroyed (counted under its reason) and false returned.
     *
     * @param deadline when the caller needs the answer ({@code System.nanoTime()}), for the health check
     */
    private boolean usable(Slot s, long seq, long deadline) throws HealthCheckSkippedException {
        if (timed) {
            long now = CoarseClock.now();
            if (s.expired(now)) {
                destroy(s, seq, CloseReason.LIFETIME);
                return false;
            }
            if (idleTimeoutNanos > 0 && now - s.idleSince >= idleTimeoutNanos && destroyIfAboveMin(s, seq)) {
                return false;
            }
        }
        return healthCheck == null || healthy(s, seq, deadline);
    }

    private boolean healthy(Slot s, long seq, long deadline) throws HealthCheckSkippedException {
        Throwable failure = null;
        try {
            healthCheck.check(s.socket, deadline);
        } catch (HealthCheckSkippedException e) {
            // not checked for lack of the caller's time: the connection is as good as before, and
            // any other would be skipped too, so the caller's get ends (see acquire)
            putBack(s, seq, false);
            throw e;
        } catch (Throwable t) {
            failure = t;
        }
        if (failure == null) {
            if (lastConnectFailure != null) {
                // a connection checked out fine (on get or by the evictor): the backend is reachable
                lastConnectFailure = null;
            }
            return true;
        }
        destroy(s, seq, CloseReason.HEALTH);
        if (failure instanceof Error && !(failure instanceof StackOverflowError)) {
            throw (Error) failure;
        }
        return false;
    }

    private Slot slowGet(long timeoutNanos, long deadline) throws IOException {
        slowRequests.incrementAndGet();
        long start = System.nanoTime();
        boolean blocked = false;
        boolean requeue = false;
        try {
            for (;;) {
                Slot s = null;
                long seq = 0;
                Waiter w = null;
                lock.lock();
                try {
                    if (closed) {
                        throw new PoolClosedException(name);
                    }
                    if (waiters.isEmpty() && (s = stack.claimTop()) != null) {
                        seq = Slot.seqOf(s.state());
                    } else {
                        if (!requeue && blockedWaitersLocked() >= maxWaiters && !canConnectLocked()) {
                            throw new TooManyWaitersException(name, maxWaiters);
                        }
                        w = Waiter.forCurrentThread();
                        if (requeue) {
                            waiters.addFirst(w);
                        } else {
                            waiters.addLast(w);
                        }
                        waiterCount = waiters.size();
                        serveWaitersLocked();
                        // a waiter with a connect of its own is connecting, not waiting for a return
                        blocked |= w.task == null && w.outcome == null;
                    }
                } finally {
                    lock.unlock();
                }
                boolean fresh = false;
                if (w != null) {
                    await(w, deadline, timeoutNanos);
                    s = (Slot) w.outcome;
                    seq = w.seq;
                    fresh = w.fresh;
                }
                if (fresh || usable(s, seq, deadline)) {
                    slowSuccesses.incrementAndGet();
                    return s;
                }
                // the connection we were given failed its checks: try again, first in line
                requeue = w != null;
                if (deadline - System.nanoTime() <= 0) {
                    throw timedOut(timeoutNanos); // and time is up
                }
            }
        } finally {
            if (blocked) {
                long took = System.nanoTime() - start;
                lock.lock();
                try {
                    waitCount++;
                    waitNanos += took;
                } finally {
                    lock.unlock();
                }
            }
        }
    }

    /**
     * Waits until the waiter is served, the deadline passes, the thread is interrupted or the
     * pool closes. Returns normally only with a slot as the outcome.
     */
    private void await(Waiter w, long deadline, long timeoutNanos) throws IOException {
        int spins = SPINS;
        int yields = YIELDS;
        for (;;) {
            Object o = w.outcome;
            if (o != null) {
                if (o instanceof Slot) {
                    return;
                }
                throw failure(o);
            }
            if (Thread.interrupted()) {
                if (!cancel(w)) {
                    giveBack(w);
                }
                Thread.currentThread().interrupt();
                InterruptedIOException e = new InterruptedIOException(
                        "interrupted while waiting for a connection from pool '" + name + "'");
                throw e;
            }
            long remaining = deadline - System.nanoTime();
            if (remaining <= 0) {
                if (cancel(w)) {
                    throw timedOut(timeoutNanos);
                }
                continue; // served at the last moment: take it
            }
            if (spins > 0) {
                spins--;
                Thread.onSpinWait();
            } else if (yields > 0) {
                yields--;
                Thread.yield();
            } else {
                w.parked = true;
                if (w.outcome == null) {
                    LockSupport.parkNanos(this, remaining);
                }
                w.parked = false;
            }
        }
    }

    private IOException failure(Object outcome) {
        if (outcome == Waiter.CLOSED) {
            return new PoolClosedException(name);
        }
        Throwable t = (Throwable) outcome;
        return new ConnectFailedException(name, t);
    }

    /**
     * Takes a waiter out of the queue if it has not been served yet.
     *
     * @return true if it was cancelled, false if an outcome arrived first
     */
    private boolean cancel(Waiter w) {
        lock.lock();
        try {
            if (w.outcome != null) {
                return false;
            }
            dequeueLocked(w);
            w.outcome = Waiter.CANCELLED;
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Counts a timeout and describes it, with the pool's statistics at this moment. */
    private AcquireTimeoutException timedOut(long timeoutNanos) {
        PoolStats snapshot;
        lock.lock();
        try {
            timeouts++;
            snapshot = stats(); // reentrant: one lock round trip, and the snapshot counts this timeout
        } finally {
            lock.unlock();
        }
        return new AcquireTimeoutException(name, Duration.ofNanos(timeoutNanos), snapshot, lastConnectFailure);
    }

    /** An interrupted waiter that was served anyway hands its connection on. */
    private void giveBack(Waiter w) {
        Object o = w.outcome;
        if (o instanceof Slot) {
            Slot s = (Slot) o;
            long seq = w.seq;
            putBack(s, seq, false);
        }
    }

    /** Whether a newly queued waiter would get a connect of its own rather than wait for a return. */
    private boolean canConnectLocked() {
        return !unassigned.isEmpty() || open + connecting < maxSize;
    }

    /** Waiters with no connect on their behalf: the ones waiting for a connection to come back. */
    private int blockedWaitersLocked() {
        if (waiters.size() < maxWaiters) {
            return waiters.size(); // cheap answer, enough to decide
        }
        int n = 0;
        for (Waiter w = waiters.head(); w != null; w = w.next) {
            if (w.task == null) {
                n++;
            }
        }
        return n;
    }

    private void dequeueLocked(Waiter w) {
        waiters.remove(w);
        waiterCount = waiters.size();
        Connector.Task t = w.task;
        if (t != null) {
            w.task = null;
            t.target = null;
            unassigned.add(t);
        }
    }

    /**
     * Serves waiters from the head: available slots first, then connects, one per waiter that has
     * none yet, topped up to {@code increment} when the pool grows. Call with the lock held after
     * anything that may let a waiter proceed.
     */
    private void serveWaitersLocked() {
        Waiter w;
        while ((w = waiters.head()) != null) {
            Slot s = stack.claimTop();
            if (s == null) {
                break;
            }
            dequeueLocked(w);
            w.serve(s, Slot.seqOf(s.state()), false);
        }
        int started = 0;
        for (w = waiters.head(); w != null; w = w.next) {
            if (w.task != null) {
                continue;
            }
            Connector.Task t = unassigned.poll();
            if (t == null) {
                if (open + connecting >= maxSize) {
                    break;
                }
                t = new Connector.Task(this, null, null);
                connecting++;
                startLocked(t);
                started++;
            }
            t.target = w;
            w.task = t;
        }
        if (started > 0) {
            int extras = Math.min(increment - started, maxSize - open - connecting);
            for (int i = 0; i < extras; i++) {
                Connector.Task t = new Connector.Task(this, null, null);
                connecting++;
                unassigned.add(t);
                startLocked(t);
            }
        }
    }

    private void startLocked(Connector.Task t) {
        try {
            connector.submit(t);
        } catch (RuntimeException e) {
            // the executor only refuses once the pool is closing
            connecting--;
            unassigned.remove(t);
        }
    }

    // =====================================================================================
    // release
    // =====================================================================================

    void release(Slot s, long seq, boolean unusable, long leasedAt) {
        if (leasedAt != 0L) {
            long took = System.nanoTime() - leasedAt;
            for (MetricsTracker t : trackers) {
                t.released(took);
            }
        }
        if (unusable) {
            destroy(s, seq, CloseReason.UNUSABLE);
            return;
        }
        if (timed) {
            long now = CoarseClock.now();
            if (s.expired(now)) {
                destroy(s, seq, CloseReason.LIFETIME);
                return;
            }
            s.idleSince = now;
        }
        putBack(s, seq, true);
    }

    /**
     * Makes a slot the caller holds available again, or hands it to the oldest waiter.
     *
     * @param remember whether the calling thread should find this slot first on its next get;
     *        true for callers (it is the connection they returned last: LIFO), false for the evictor
     */
    private void putBack(Slot s, long seq, boolean remember) {
        if (closed) {
            destroy(s, seq, CloseReason.SHUTDOWN);
            return;
        }
        if (waiterCount == 0 && s.cas(Slot.state(seq, Slot.GHOST), Slot.state(seq, Slot.AVAILABLE))) {
            if (remember && hint.get() != s) {
                hint.set(s);
            }
            if (waiterCount != 0 || closed) {
                // a waiter queued, or close() drained the stack, between our check and our CAS
                recheckLocked();
            }
            return;
        }
        if (slowRelease(s, seq) && remember) {
            hint.set(s);
        }
    }

    private void recheckLocked() {
        Slot[] toClose = null;
        lock.lock();
        try {
            if (closed) {
                toClose = drainAvailableLocked();
            } else {
                serveWaitersLocked();
            }
        } finally {
            lock.unlock();
        }
        closeAll(toClose);
    }

    /** @return true if the slot became available (rather than handed over or destroyed) */
    private boolean slowRelease(Slot s, long seq) {
        boolean destroy = false;
        boolean available = false;
        lock.lock();
        try {
            long st = s.state();
            long bits = Slot.bitsOf(st);
            if (Slot.seqOf(st) != seq || bits == Slot.AVAILABLE || bits == Slot.REMOVED) {
                return false; // a stale lease: this slot moved on without it
            }
            if (closed) {
                destroy = true;
            } else {
                Waiter w = waiters.head();
                if (w != null) {
                    dequeueLocked(w);
                    s.setState(Slot.state(seq + 1, bits));
                    w.serve(s, seq + 1, false);
                } else {
                    s.setState(Slot.state(seq, Slot.AVAILABLE));
                    if (bits == Slot.BORROWED) {
                        stack.push(s);
                    }
                    available = true;
                }
            }
        } finally {
            lock.unlock();
        }
        if (destroy) {
            destroy(s, seq, CloseReason.SHUTDOWN);
        }
        return available;
    }

    /**
     * Closes a slot the caller holds and frees its room, in that order: the socket is closed
     * before anyone may open a replacement, so the pool never has more than maxSize sockets open.
     *
     * @return false if the lease was stale and nothing happened
     */
    boolean destroy(Slot s, long seq, CloseReason reason) {
        lock.lock();
        try {
            if (!markRemovedLocked(s, seq)) {
                return false;
            }
        } finally {
            lock.unlock();
        }
        closeAndRetire(s, reason);
        return true;
    }

    /** Closes a slot for idling too long, unless that would take the pool below minSize. */
    private boolean destroyIfAboveMin(Slot s, long seq) {
        lock.lock();
        try {
            if (open - dying <= minSize || !markRemovedLocked(s, seq)) {
                return false;
            }
        } finally {
            lock.unlock();
        }
        closeAndRetire(s, CloseReason.IDLE);
        return true;
    }

    /** Takes a held slot out of every structure but {@code all}; its room stays taken until retired. */
    private boolean markRemovedLocked(Slot s, long seq) {
        long st = s.state();
        long bits = Slot.bitsOf(st);
        if (Slot.seqOf(st) != seq || bits == Slot.AVAILABLE || bits == Slot.REMOVED) {
            return false;
        }
        if (bits == Slot.GHOST) {
            stack.remove(s);
        }
        s.setState(Slot.state(seq, Slot.REMOVED));
        dying++;
        return true;
    }

    private void closeAndRetire(Slot s, CloseReason reason) {
        closeQuietly(s.socket);
        lock.lock();
        try {
            retireLocked(s, reason);
        } finally {
            lock.unlock();
        }
    }

    /** Frees the room of a removed slot whose socket is closed, and lets waiters use it. */
    private void retireLocked(Slot s, CloseReason reason) {
        dying--;
        unregisterLocked(s);
        closedBy[reason.ordinal()]++;
        if (closed) {
            if (open == 0) {
                drained.signalAll();
            }
        } else {
            serveWaitersLocked();
        }
    }

    private void registerLocked(Slot s) {
        all[open++] = s;
    }

    private void unregisterLocked(Slot s) {
        for (int i = 0; i < open; i++) {
            if (all[i] == s) {
                all[i] = all[--open];
                all[open] = null;
                retiredFastLeases += s.fastLeases();
                return;
            }
        }
        throw new IllegalStateException("slot not registered: " + s);
    }

    // =====================================================================================
    // connect
    // =====================================================================================

    /** Runs on a connector thread: opens one connection and gives it to a waiter or the stack. */
    void connect(Connector.Task task) {
        Socket socket = null;
        Throwable failure = null;
        long t0 = System.nanoTime();
        try {
            socket = factory.create();
            if (socket == null) {
                failure = new ConnPoolException("connection factory of pool '" + name + "' returned null");
            } else if (!socket.isConnected() || socket.isClosed()) {
                closeQuietly(socket);
                socket = null;
                failure = new ConnPoolException(
                        "connection factory of pool '" + name + "' returned a socket that is not connected");
            }
        } catch (Throwable t) {
            failure = t;
        }
        long took = System.nanoTime() - t0;
        boolean closeIt = false;
        lock.lock();
        try {
            connecting--;
            Waiter target = task.target;
            task.target = null;
            if (target == null) {
                unassigned.remove(task);
            } else {
                target.task = null;
            }
            if (socket != null) {
                created++;
                lastConnectFailure = null;
                if (closed) {
                    closedBy[CloseReason.SHUTDOWN.ordinal()]++;
                    closeIt = true;
                } else {
                    Waiter w = target != null ? target : waiters.head();
                    // lifetimes count from before the connect: the ceiling holds whatever the connect took
                    Slot s = new Slot(socket, t0, drawLifetime(), Slot.state(1, Slot.BORROWED));
                    registerLocked(s);
                    if (w != null) {
                        dequeueLocked(w);
                        w.serve(s, 1, true);
                    } else {
                        s.setState(Slot.state(0, Slot.AVAILABLE));
                        stack.push(s);
                    }
                }
            } else {
                connectFailures++;
                lastConnectFailure = failure;
                if (target != null) {
                    dequeueLocked(target);
                    target.complete(failure);
                }
                if (!closed) {
                    serveWaitersLocked();
                }
            }
        } finally {
            lock.unlock();
        }
        if (closeIt) {
            closeQuietly(socket);
        }
        if (socket != null) {
            for (MetricsTracker t : trackers) {
                t.connected(took);
            }
        } else if (!(failure instanceof IOException) && !(failure instanceof InterruptedException)) {
            LOG.log(System.Logger.Level.WARNING, "connpool '" + name + "': connection factory threw", failure);
        }
        if (task.onDone != null) {
            task.onDone.accept(failure);
        }
        if (failure instanceof Error && !(failure instanceof StackOverflowError)) {
            throw (Error) failure;
        }
    }

    /** A lifetime drawn uniformly from [0.9, 1.0] × maxLifetime; 0 when lifetimes are off. */
    long drawLifetime() {
        if (maxLifetimeNanos <= 0) {
            return 0;
        }
        long low = maxLifetimeNanos - maxLifetimeNanos / 10;
        return ThreadLocalRandom.current().nextLong(low, maxLifetimeNanos + 1);
    }

    // =====================================================================================
    // evictor
    // =====================================================================================

    /** One evictor run: check idle connections oldest first, then refill to minSize. */
    void evict() {
        if (closed) {
            return;
        }
        Slot[] idle;
        lock.lock();
        try {
            idle = stack.availableBottomUp();
        } finally {
            lock.unlock();
        }
        for (Slot s : idle) {
            if (closed) {
                return;
            }
            long seq = s.claimInPlace();
            if (seq < 0) {
                continue; // lent meanwhile
            }
            // the evictor has no caller waiting: each check is bounded by its own timeout
            try {
                if (usable(s, seq, System.nanoTime() + MAX_TIMEOUT_NANOS)) {
                    putBack(s, seq, false);
                }
            } catch (HealthCheckSkippedException e) {
                // a check that skipped with all the time in the world: it put the slot back
            }
        }
        refill();
    }

    /** Starts background connects until open plus connecting reach minSize. */
    void refill() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            while (open + connecting < minSize) {
                Connector.Task t = new Connector.Task(this, null, null);
                connecting++;
                unassigned.add(t);
                startLocked(t);
            }
            serveWaitersLocked();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Closes every idle connection now (reason idle), then refills to minSize.
     *
     * @return how many were closed
     */
    public int evictIdle() {
        Slot[] idle;
        lock.lock();
        try {
            if (closed) {
                return 0;
            }
            idle = stack.removeAllAvailable();
            dying += idle.length;
        } finally {
            lock.unlock();
        }
        for (Slot s : idle) {
            closeAndRetire(s, CloseReason.IDLE);
        }
        refill();
        return idle.length;
    }

    // =====================================================================================
    // close
    // =====================================================================================

    /**
     * Whether closing has begun.
     *
     * @return true after the first close
     */
    public boolean isClosed() {
        return closed;
    }

    /**
     * Closes the pool. Idle connections are closed at once and waiters fail. With a negative
     * grace, connections in use are closed when returned; otherwise this waits up to the grace
     * for them and then closes the rest under their users.
     *
     * @param graceNanos how long to wait for lent connections, or negative not to wait
     * @return true if no connection was left open when this returned
     */
    public boolean close(long graceNanos) {
        boolean first;
        lock.lock();
        try {
            first = !closed;
            closed = true;
        } finally {
            lock.unlock();
        }
        if (first) {
            shutdown();
        } else {
            awaitUninterruptibly(closeDone);
        }
        return graceNanos < 0 ? isDrained() : drain(graceNanos);
    }

    /** The part of close() done once: fail waiters, close idle, stop threads. */
    private void shutdown() {
        Slot[] idle;
        lock.lock();
        try {
            for (Waiter w = waiters.head(); w != null; w = waiters.head()) {
                dequeueLocked(w);
                w.complete(Waiter.CLOSED);
            }
            idle = drainAvailableLocked();
        } finally {
            lock.unlock();
        }
        closeAll(idle);
        boolean interrupted = false;
        try {
            if (evictor != null) {
                evictor.stop();
            }
        } catch (InterruptedException e) {
            interrupted = true;
        }
        try {
            if (!connector.shutdown(CONNECTOR_JOIN_NANOS)) {
                LOG.log(System.Logger.Level.WARNING, "connpool '" + name
                        + "': a connect still runs after close(); its socket will be closed when it ends");
            }
        } catch (InterruptedException e) {
            interrupted = true;
        }
        if (timed) {
            CoarseClock.release();
        }
        closeDone.countDown();
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private boolean isDrained() {
        lock.lock();
        try {
            return open == 0;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits up to the grace for lent connections to come back, then closes the rest under their
     * users (their later return does nothing).
     *
     * @return true if all came back in time
     */
    private boolean drain(long graceNanos) {
        boolean interrupted = false;
        boolean allBack;
        Slot[] forced = null;
        lock.lock();
        try {
            long left = graceNanos;
            while (open > 0 && left > 0) {
                try {
                    left = drained.awaitNanos(left);
                } catch (InterruptedException e) {
                    interrupted = true;
                    break;
                }
            }
            allBack = open == 0;
            if (!allBack) {
                List<Slot> lent = new ArrayList<>();
                for (Slot s : Arrays.copyOf(all, open)) {
                    long st = s.state();
                    if (Slot.bitsOf(st) == Slot.REMOVED) {
                        continue; // being destroyed by its holder right now
                    }
                    if (Slot.bitsOf(st) == Slot.GHOST) {
                        stack.remove(s);
                    }
                    s.setState(Slot.state(Slot.seqOf(st), Slot.REMOVED));
                    unregisterLocked(s);
                    closedBy[CloseReason.SHUTDOWN.ordinal()]++;
                    lent.add(s);
                }
                forced = lent.toArray(new Slot[0]);
            }
        } finally {
            lock.unlock();
        }
        closeAll(forced);
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        return allBack;
    }

    private Slot[] drainAvailableLocked() {
        Slot[] idle = stack.removeAllAvailable();
        for (Slot s : idle) {
            unregisterLocked(s);
            closedBy[CloseReason.SHUTDOWN.ordinal()]++;
        }
        if (open == 0) {
            drained.signalAll();
        }
        return idle;
    }

    private static void awaitUninterruptibly(CountDownLatch latch) {
        boolean interrupted = false;
        while (true) {
            try {
                latch.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeAll(Slot[] slots) {
        if (slots != null) {
            for (Slot s : slots) {
                closeQuietly(s.socket);
            }
        }
    }

    static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "closing a pooled socket failed", e);
        }
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
        lock.lock();
        try {
            long fast = retiredFastLeases;
            for (int i = 0; i < open; i++) {
                fast += all[i].fastLeases();
            }
            // successes before requests: each only grows, so successes <= requests holds
            long successes = fast + slowSuccesses.get();
            long requests = fast + slowRequests.get();
            int available = stack.countAvailable();
            return new PoolStats(open, open - available, available, waiters.size(), connecting, requests,
                    successes, timeouts, created, connectFailures, closedBy[CloseReason.IDLE.ordinal()],
                    closedBy[CloseReason.LIFETIME.ordinal()], closedBy[CloseReason.HEALTH.ordinal()],
                    closedBy[CloseReason.UNUSABLE.ordinal()], closedBy[CloseReason.SHUTDOWN.ordinal()],
                    waitCount, Duration.ofNanos(waitNanos), 0L);
        } finally {
            lock.unlock();
        }
    }

    /**
     * The failure of the latest connect, if it failed.
     *
     * @return the failure, or null
     */
    public Throwable lastConnectFailure() {
        return lastConnectFailure;
    }

    /**
     * Registers a metrics tracker (copy on write: the hot path reads a plain array).
     *
     * @param tracker the tracker
     */
    public synchronized void addTracker(MetricsTracker tracker) {
        MetricsTracker[] t = Arrays.copyOf(trackers, trackers.length + 1);
        t[t.length - 1] = tracker;
        trackers = t;
    }

    /**
     * Unregisters a metrics tracker.
     *
     * @param tracker the tracker
     * @return whether it was registered
     */
    public synchronized boolean removeTracker(MetricsTracker tracker) {
        MetricsTracker[] t = trackers;
        for (int i = 0; i < t.length; i++) {
            if (t[i] == tracker) {
                MetricsTracker[] n = new MetricsTracker[t.length - 1];
                System.arraycopy(t, 0, n, 0, i);
                System.arraycopy(t, i + 1, n, i, t.length - i - 1);
                trackers = n;
                return true;
            }
        }
        return false;
    }

    /** The drawn lifetime of a connection, for tests: its expiry minus its creation. */
    static long lifetimeOf(Slot s) {
        return s.mortal ? s.expiresAt - s.createdAt : 0;
    }
}
