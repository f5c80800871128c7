package dev.connpool.internal;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Leak detection, on while {@code leakDetectionThreshold} is positive: {@code get} records where each
 * lease began ({@link LeaseOrigin}), and a scan on the housekeeping thread reports every lease held
 * longer than the threshold, once, with a WARNING that carries the stack of the {@code get}; a lease
 * reported that comes back later gets an INFO. Leases age on the engine's clock
 * ({@link CoarseClock#precise()}), like connections. Off, none of this exists and {@code get} pays one
 * branch on a final field.
 */
final class LeakDetector {

    private static final long MIN_SCAN_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    private static final long MAX_SCAN_NANOS = TimeUnit.SECONDS.toNanos(30);

    private final PoolEngine pool;
    private final long thresholdNanos;

    LeakDetector(PoolEngine pool, long thresholdNanos) {
        this.pool = pool;
        this.thresholdNanos = thresholdNanos;
    }

    /**
     * How often to scan: a quarter of the threshold, so a report is at most that late, but not more
     * often than every 50 ms nor less often than every 30 s.
     */
    long scanIntervalNanos() {
        return Math.max(MIN_SCAN_NANOS, Math.min(MAX_SCAN_NANOS, thresholdNanos / 4));
    }

    /** A lease began on the calling thread. */
    void lent(Slot s, long seq) {
        s.origin = new LeaseOrigin(seq);
    }

    /** A lease is being returned, by its holder, before the slot moves on. */
    void returned(Slot s, long seq) {
        LeaseOrigin o = s.origin;
        if (o == null || o.seq != seq) {
            return; // a stale lease closed again: the slot's current lease is someone else's
        }
        s.origin = null;
        if (o.returned()) {
            PoolEngine.LOG.log(Level.INFO, "connpool '" + pool.name + "': the connection reported as a possible leak"
                    + " was returned after " + millis(CoarseClock.precise() - o.since) + " ms by thread "
                    + describe(o.holder));
        }
    }

    /** Reports the leases held longer than the threshold and not reported yet. */
    void scan() {
        Slot[] open;
        Bag bag = pool.bag;
        bag.lock.lock();
        try {
            if (bag.closed) {
                return;
            }
            open = Arrays.copyOf(pool.capacity.all, pool.capacity.open);
        } finally {
            bag.lock.unlock();
        }
        long now = CoarseClock.precise(); // the clock leases age by: tests move it
        List<LeaseOrigin> found = new ArrayList<>();
        for (Slot s : open) {
            LeaseOrigin o = s.origin;
            if (o != null && now - o.since >= thresholdNanos && o.report()) {
                found.add(o);
            }
        }
        if (found.isEmpty()) {
            return;
        }
        // counted before logged: whoever reads the warning finds it in the stats
        bag.lock.lock();
        try {
            pool.counters.leaksSuspected += found.size();
        } finally {
            bag.lock.unlock();
        }
        for (LeaseOrigin o : found) {
            warn(o, now);
        }
    }

    private void warn(LeaseOrigin o, long now) {
        Thread holder = o.holder;
        o.trimPoolFrames();
        PoolEngine.LOG.log(Level.WARNING, "connpool '" + pool.name + "': possible connection leak: a connection"
                + " has been held for " + millis(now - o.since) + " ms (leakDetectionThreshold "
                + millis(thresholdNanos) + " ms) by thread " + describe(holder)
                + (holder.isAlive() ? "" : ", which has ended") + "; the stack shows the get that took it", o);
    }

    /** A thread's name in quotes, or, for a thread without one (a virtual thread), its description. */
    private static String describe(Thread t) {
        String name = t.getName();
        return name.isEmpty() ? t.toString() : "'" + name + "'";
    }

    private static long millis(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }
}
