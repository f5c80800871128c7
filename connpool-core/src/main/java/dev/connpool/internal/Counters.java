package dev.connpool.internal;

import dev.connpool.CloseReason;
import dev.connpool.MetricsTracker;
import dev.connpool.PoolStats;

import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The pool's counters and its metrics trackers.
 *
 * <p>Counts that change on the slow paths are guarded by the pool's lock; the two that every
 * checked or waiting get touches are atomics, and the leases of the lock-free fast path are counted
 * on each slot by its holder ({@link Slot#countFastLease()}) and summed here, so the fast path
 * never writes a shared cache line. Successes are read before requests, so {@code successes <=
 * requests} holds in every snapshot.
 *
 * <p>Trackers are user code on the hot path. Each runs isolated: one that throws is logged once
 * and then ignored for that call, and never breaks the lease it was timing.
 */
final class Counters {

    private static final Tracker[] NO_TRACKERS = new Tracker[0];

    private final String poolName;
    private volatile Tracker[] trackers = NO_TRACKERS;

    // ---- guarded by the pool's lock ----
    long created;
    long connectFailures;
    final long[] closedBy = new long[CloseReason.values().length];
    /** Fast leases and skipped checks of slots that are gone. */
    long retiredFastLeases;
    long retiredSkippedChecks;
    long timeouts;
    long waitCount;
    long waitNanos;
    long leaksSuspected;

    // ---- every get that leaves the lock-free fast path ----
    final AtomicLong slowRequests = new AtomicLong();
    final AtomicLong slowSuccesses = new AtomicLong();
    final AtomicLong slowSkippedChecks = new AtomicLong();

    Counters(String poolName) {
        this.poolName = poolName;
    }

    /** Adds a slot's own counts before it goes. Call with the lock held. */
    void retireLocked(Slot s, CloseReason reason) {
        retiredFastLeases += s.fastLeases();
        retiredSkippedChecks += s.checksSkipped();
        closedBy[reason.ordinal()]++;
    }

    /** Leases of the lock-free fast path so far: the open slots' own counts and the retired ones. */
    private long fastLeasesLocked(Slot[] open, int size) {
        long fast = retiredFastLeases;
        for (int i = 0; i < size; i++) {
            fast += open[i].fastLeases();
        }
        return fast;
    }

    /** Gets that returned a connection so far; call with the lock held. */
    long successesLocked(Slot[] open, int size) {
        return fastLeasesLocked(open, size) + slowSuccesses.get();
    }

    /** A snapshot; call with the lock held. */
    PoolStats snapshotLocked(Slot[] open, int size, int available, int waiters, int connecting) {
        long skipped = retiredSkippedChecks + slowSkippedChecks.get();
        for (int i = 0; i < size; i++) {
            skipped += open[i].checksSkipped();
        }
        long fast = fastLeasesLocked(open, size);
        long successes = fast + slowSuccesses.get();
        long requests = fast + slowRequests.get();
        return new PoolStats(size, size - available, available, waiters, connecting, requests, successes,
                timeouts, created, connectFailures, closedBy[CloseReason.IDLE.ordinal()],
                closedBy[CloseReason.LIFETIME.ordinal()], closedBy[CloseReason.HEALTH.ordinal()],
                closedBy[CloseReason.UNUSABLE.ordinal()], closedBy[CloseReason.SHUTDOWN.ordinal()],
                waitCount, Duration.ofNanos(waitNanos), skipped, leaksSuspected);
    }

    // ---- trackers ----

    boolean tracking() {
        return trackers.length != 0;
    }

    void acquired(long nanos) {
        for (Tracker t : trackers) {
            try {
                t.tracker.acquired(nanos);
            } catch (Throwable e) {
                t.failed("acquired", e);
            }
        }
    }

    void released(long nanos) {
        for (Tracker t : trackers) {
            try {
                t.tracker.released(nanos);
            } catch (Throwable e) {
                t.failed("released", e);
            }
        }
    }

    void connected(long nanos) {
        for (Tracker t : trackers) {
            try {
                t.tracker.connected(nanos);
            } catch (Throwable e) {
                t.failed("connected", e);
            }
        }
    }

    synchronized void add(MetricsTracker tracker) {
        Tracker[] t = Arrays.copyOf(trackers, trackers.length + 1);
        t[t.length - 1] = new Tracker(poolName, tracker);
        trackers = t;
    }

    synchronized boolean remove(MetricsTracker tracker) {
        Tracker[] t = trackers;
        for (int i = 0; i < t.length; i++) {
            if (t[i].tracker == tracker) {
                Tracker[] n = new Tracker[t.length - 1];
                System.arraycopy(t, 0, n, 0, i);
                System.arraycopy(t, i + 1, n, i, t.length - i - 1);
                trackers = n;
                return true;
            }
        }
        return false;
    }

    /** A registered tracker and whether its failure was reported already. */
    private static final class Tracker {

        final String poolName;
        final MetricsTracker tracker;
        private volatile boolean reported;

        Tracker(String poolName, MetricsTracker tracker) {
            this.poolName = poolName;
            this.tracker = tracker;
        }

        void failed(String event, Throwable e) {
            if (!reported) {
                reported = true;
                PoolEngine.LOG.log(System.Logger.Level.WARNING, "connpool '" + poolName + "': metrics tracker "
                        + tracker + " threw from " + event + "(); its failures are ignored from now on", e);
            }
        }
    }
}
