package dev.connpool.internal;

import dev.connpool.AcquireTimeoutException;
import dev.connpool.CloseReason;
import dev.connpool.ConnectFailedException;
import dev.connpool.HealthCheckSkippedException;
import dev.connpool.PoolClosedException;
import dev.connpool.PoolStats;
import dev.connpool.TooManyWaitersException;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.channels.ClosedByInterruptException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The get loop beyond the lock-free fast path: claim, vet, check, and wait, all within one deadline.
 *
 * <p>Rules at the edges:
 * <ul>
 *   <li>Every call counts once in {@code requests}, whatever its outcome.</li>
 *   <li>An interrupted caller never costs the pool a connection: interrupted before a check, the
 *       connection goes back unchecked; interrupted during one, the check finishes (the built-in
 *       checks defer interrupts, so that no channel is closed under them) and a healthy connection
 *       goes back. Either way the get ends with {@link InterruptedIOException} and the thread keeps
 *       its interrupt flag. (A check of the user's own that blocks on an interruptible channel may
 *       lose its connection to the JDK's interrupt handling; the get then stops there and touches
 *       no other connection.)</li>
 *   <li>A timeout shorter than {@link #MIN_CHECK_NANOS} (2 ms; {@code get(ZERO)} included) means
 *       "do not wait for a connection", not "no time to check one": the check of an idle connection
 *       is then bounded by its own timeout only.</li>
 * </ul>
 */
final class Acquirer {

    /**
     * Below this, a caller's timeout does not bound the health check (see the class comment): twice
     * the least time the request/response check needs to start, so that a caller with a timeout just
     * above the line still has that time left when its check starts.
     */
    static final long MIN_CHECK_NANOS = 2_000_000L;
    private static final int CPUS = Runtime.getRuntime().availableProcessors();
    /** Spins before yielding: a hand-off often arrives within a microsecond. */
    private static final int SPINS = Integer.getInteger("dev.connpool.spins", CPUS > 1 ? 64 : 0);
    /** Yields before parking: lets the holder of a connection run, without a wake-up to pay for. */
    private static final int YIELDS = Integer.getInteger("dev.connpool.yields", 32);
    /**
     * A waiter spins and yields only while at most this many wait: with more waiters than spare
     * cores, spinning takes the CPU that the holders of the connections (and the backend, on the
     * same machine) need, and a waiter that is awake gets returns handed to it in order, which
     * stops running threads from barging in. Such waiters park at once.
     */
    private static final int SPINNING_WAITERS = Integer.getInteger("dev.connpool.spinningWaiters", Math.max(1, CPUS / 2));

    /** {@link #lendable}'s verdict: lend the slot. */
    private static final Object LEND = new Object();
    /** {@link #lendable}'s verdict: the slot is gone, look again. */
    private static final Object AGAIN = new Object();

    private final PoolEngine pool;
    private final Bag bag;
    private final Vetting vetting;
    private final Counters counters;
    private final int maxWaiters;

    Acquirer(PoolEngine pool, Vetting vetting, Counters counters, int maxWaiters) {
        this.pool = pool;
        this.bag = pool.bag;
        this.vetting = vetting;
        this.counters = counters;
        this.maxWaiters = maxWaiters;
    }

    /**
     * Lends a slot within the timeout.
     *
     * @return the slot, held by the caller
     */
    Slot acquire(long timeoutNanos) throws IOException {
        long start = System.nanoTime();
        long deadline = start + timeoutNanos;
        long checkDeadline = timeoutNanos < MIN_CHECK_NANOS ? start + PoolEngine.NO_DEADLINE : deadline;
        counters.slowRequests.incrementAndGet();
        boolean blocked = false;
        boolean requeue = false;
        long since = 0; // when this caller first queued: a retry keeps its place in time too
        try {
            Waiter retry = null; // this caller's place, first in line, after a connection failed its check
            for (;;) {
                Waiter w = retry;
                retry = null;
                Slot s = null;
                long seq = 0;
                boolean fresh = false;
                if (w == null) {
                    if (Thread.currentThread().isInterrupted()) {
                        throw interrupted();
                    }
                    s = bag.claimFast();
                    if (s != null) {
                        seq = Slot.seqOf(s.state());
                    } else {
                        bag.lock.lock();
                        try {
                            if (bag.closed) {
                                throw new PoolClosedException(pool.name);
                            }
                            s = bag.claimLocked();
                            if (s != null) {
                                seq = Slot.seqOf(s.state());
                            } else {
                                if (!requeue && blockedWaitersLocked() >= maxWaiters
                                        && !pool.capacity.answersWithoutReturnLocked()) {
                                    throw new TooManyWaitersException(pool.name, maxWaiters);
                                }
                                if (!requeue) {
                                    since = System.nanoTime();
                                }
                                w = bag.enqueueLocked(requeue, since);
                                // a waiter with a connect of its own is connecting, not waiting for a return
                                blocked |= w.task == null && w.outcome == null;
                            }
                        } finally {
                            bag.lock.unlock();
                        }
                    }
                }
                if (w != null) {
                    await(w, deadline, timeoutNanos);
                    s = (Slot) w.outcome;
                    seq = w.seq;
                    fresh = w.fresh;
                }
                if (fresh) {
                    counters.slowSuccesses.incrementAndGet();
                    return s;
                }
                // a caller that has waited keeps its place in line if the connection fails its check
                requeue |= w != null;
                Object verdict = lendable(s, seq, checkDeadline, deadline, timeoutNanos, requeue, since);
                if (verdict == LEND) {
                    counters.slowSuccesses.incrementAndGet();
                    return s;
                }
                if (verdict != AGAIN) {
                    retry = (Waiter) verdict; // queued first in line again: its deadline is kept by await
                    continue;
                }
                // the connection failed its checks: try again. A get too short to check by its
                // deadline tries every idle connection before it answers (it does not wait for one:
                // the queue times it out at once if none is idle)
                if (checkDeadline == deadline && deadline - System.nanoTime() <= 0) {
                    if (bag.closed) {
                        // closed while this caller ran late (a slow check, a starved thread): that
                        // is the answer, as for a caller that waited in the queue
                        throw new PoolClosedException(pool.name);
                    }
                    throw timedOut(timeoutNanos);
                }
            }
        } finally {
            if (blocked) {
                long took = System.nanoTime() - start;
                bag.lock.lock();
                try {
                    counters.waitCount++;
                    counters.waitNanos += took;
                } finally {
                    bag.lock.unlock();
                }
            }
        }
    }

    /**
     * Vets a slot the caller holds; one that fails is destroyed (counted under its reason).
     *
     * @param checkDeadline the deadline the health check gets (none for a get too short to check)
     * @param deadline the caller's own deadline, which a skipped check waits out
     * @param waited whether the caller had queued: if the slot fails its check, the caller is queued
     *        again first in line before the slot's room is freed, so that the connect for that room
     *        is the caller's (see {@link Closer#destroyAndRequeue})
     * @param since when the caller first queued
     * @return {@link #LEND} to lend it, {@link #AGAIN} to look again, or the caller's new place in
     *         the queue
     */
    private Object lendable(Slot s, long seq, long checkDeadline, long deadline, long timeoutNanos,
            boolean waited, long since) throws IOException {
        int v = vetting.settle(s, seq, pool.closer, true);
        if (v == Vetting.GONE) {
            return AGAIN;
        }
        if (v == Vetting.LEND) {
            return LEND;
        }
        if (v == Vetting.LEND_SKIPPING_CHECK) {
            counters.slowSkippedChecks.incrementAndGet();
            return LEND;
        }
        if (Thread.currentThread().isInterrupted()) {
            bag.putBack(s, seq, false); // unchecked, as good as before
            throw interrupted();
        }
        Throwable failure = vetting.check(s, checkDeadline);
        if (failure == null) {
            pool.intake.reached();
            if (Thread.currentThread().isInterrupted()) {
                // interrupted while the check ran (it defers interrupts): healthy, so it goes back
                bag.putBack(s, seq, false);
                throw interrupted();
            }
            return LEND;
        }
        if (failure instanceof HealthCheckSkippedException) {
            // no time was left to check a connection, so none can be lent: time out at the deadline
            bag.putBack(s, seq, false);
            waitUntil(deadline);
            if (bag.closed) {
                throw new PoolClosedException(pool.name); // closed meanwhile: that is the answer
            }
            throw timedOut(timeoutNanos);
        }
        boolean interrupted = failure instanceof ClosedByInterruptException || Thread.currentThread().isInterrupted();
        boolean fatal = failure instanceof Error && !(failure instanceof StackOverflowError);
        if (interrupted || fatal || !waited) {
            pool.closer.destroy(s, seq, CloseReason.HEALTH);
        } else {
            Waiter w = pool.closer.destroyAndRequeue(s, seq, CloseReason.HEALTH, since);
            if (w != null) {
                return w;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
            throw interrupted(); // the interrupt closed the channel mid-check: stop here
        }
        if (fatal) {
            throw (Error) failure;
        }
        return AGAIN;
    }

    /**
     * Waits until the waiter is served, the deadline passes, the thread is interrupted or the
     * pool closes. Returns normally only with a slot as the outcome.
     */
    private void await(Waiter w, long deadline, long timeoutNanos) throws IOException {
        boolean spin = bag.waiterCount <= SPINNING_WAITERS;
        int spins = spin ? SPINS : 0;
        int yields = spin ? YIELDS : 0;
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
                throw interrupted();
            }
            long now = System.nanoTime();
            long remaining = deadline - now;
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
                long toBound = w.since + Bag.BARGE_NANOS - now;
                if (toBound <= 0 && !bag.handOff) {
                    starving(w);
                    continue;
                }
                w.parked = true;
                if (w.outcome == null) {
                    LockSupport.parkNanos(this, toBound > 0 ? Math.min(remaining, toBound) : remaining);
                }
                w.parked = false;
                w.woken = false;
                if (w.outcome == null && !bag.handOff && bag.stack.hasAvailable()) {
                    awake(w);
                }
            }
        }
    }

    /** A waiter woke (or was woken) while a connection left for barging is still there: take it. */
    private void awake(Waiter w) {
        bag.lock.lock();
        try {
            if (w.outcome == null) {
                bag.serveWaitersLocked();
            }
        } finally {
            bag.lock.unlock();
        }
    }

    /** The waiter passed the barging bound: returns go to waiters in order now. */
    private void starving(Waiter w) {
        bag.lock.lock();
        try {
            if (w.outcome == null) {
                bag.starvingLocked();
            }
        } finally {
            bag.lock.unlock();
        }
    }

    private IOException failure(Object outcome) {
        if (outcome == Waiter.CLOSED) {
            return new PoolClosedException(pool.name);
        }
        if (outcome instanceof Backoff.Refusal) {
            Backoff.Refusal r = (Backoff.Refusal) outcome;
            return new ConnectFailedException(pool.name, r.cause,
                    Duration.ofNanos(Math.max(0, r.retryAt - System.nanoTime())));
        }
        return new ConnectFailedException(pool.name, (Throwable) outcome);
    }

    /**
     * Takes a waiter out of the queue if it has not been served yet.
     *
     * @return true if it was cancelled, false if an outcome arrived first
     */
    private boolean cancel(Waiter w) {
        bag.lock.lock();
        try {
            if (w.outcome != null) {
                return false;
            }
            bag.dequeueLocked(w);
            w.outcome = Waiter.CANCELLED;
            return true;
        } finally {
            bag.lock.unlock();
        }
    }

    /** An interrupted waiter that was served anyway hands its connection on. */
    private void giveBack(Waiter w) {
        Object o = w.outcome;
        if (o instanceof Slot) {
            bag.putBack((Slot) o, w.seq, false);
        }
    }

    /** Waiters with no connect on their behalf: the ones waiting for a connection to come back. */
    private int blockedWaitersLocked() {
        WaiterQueue q = bag.waiters;
        if (q.size() < maxWaiters) {
            return q.size(); // cheap answer, enough to decide
        }
        int n = 0;
        for (Waiter w = q.head(); w != null; w = w.next) {
            if (w.task == null) {
                n++;
            }
        }
        return n;
    }

    /**
     * Waits out what is left of a get whose health check found no time to run, or until the pool
     * closes. This caller is in no queue that close() could wake, so it looks every
     * {@link #CLOSE_POLL_NANOS}; the wait is usually under a millisecond (the built-in check skips
     * with less than that left), but a user's check may skip with more.
     */
    private void waitUntil(long deadline) throws InterruptedIOException {
        for (long left; (left = deadline - System.nanoTime()) > 0 && !bag.closed; ) {
            if (Thread.currentThread().isInterrupted()) {
                throw interrupted();
            }
            LockSupport.parkNanos(this, Math.min(left, CLOSE_POLL_NANOS));
        }
    }

    /** How often a caller waiting out a skipped check looks whether the pool closed. */
    private static final long CLOSE_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    private InterruptedIOException interrupted() {
        return new InterruptedIOException("interrupted while getting a connection from pool '" + pool.name + "'");
    }

    /** Counts a timeout and describes it, with the pool's statistics at this moment. */
    AcquireTimeoutException timedOut(long timeoutNanos) {
        PoolStats snapshot;
        Throwable lastFailure;
        bag.lock.lock();
        try {
            counters.timeouts++;
            snapshot = pool.statsLocked();
            lastFailure = pool.intake.lastFailureLocked();
        } finally {
            bag.lock.unlock();
        }
        return new AcquireTimeoutException(pool.name, Duration.ofNanos(timeoutNanos), snapshot, lastFailure);
    }
}
