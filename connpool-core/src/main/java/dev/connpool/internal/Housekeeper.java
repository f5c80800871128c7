package dev.connpool.internal;

import dev.connpool.CloseReason;
import dev.connpool.HealthCheckSkippedException;

/**
 * The pool's periodic work, run by the {@link HousekeepingThread}: check idle connections oldest
 * first, close the expired, the idle-too-long (never below {@code minSize}) and the unhealthy, then
 * refill to {@code minSize}. Also the operator's {@code evictIdle()}.
 *
 * <p>It claims an idle connection before checking it, exactly as a caller would, so callers never
 * block on it: they take another connection meanwhile. Its checks are bounded by their own
 * timeouts, and its connects run on the connector's threads.
 */
final class Housekeeper {

    private final PoolEngine pool;
    private final Vetting vetting;

    Housekeeper(PoolEngine pool, Vetting vetting) {
        this.pool = pool;
        this.vetting = vetting;
    }

    /** One evictor run. */
    void evict() {
        Bag bag = pool.bag;
        if (bag.closed) {
            return;
        }
        Slot[] idle;
        bag.lock.lock();
        try {
            idle = bag.stack.availableBottomUp();
        } finally {
            bag.lock.unlock();
        }
        for (Slot s : idle) {
            if (bag.closed) {
                return;
            }
            long seq = s.claimInPlace();
            if (seq >= 0 && keep(s, seq)) {
                bag.putBack(s, seq, false);
            }
        }
        refill();
    }

    /** Vets an idle slot the evictor holds; closes it if it fails. */
    private boolean keep(Slot s, long seq) {
        int v = vetting.settle(s, seq, pool.closer, false);
        if (v == Vetting.GONE) {
            return false;
        }
        if (v != Vetting.CHECK) {
            return true;
        }
        // the evictor has no caller waiting: each check is bounded by its own timeout
        Throwable failure = vetting.check(s, System.nanoTime() + PoolEngine.NO_DEADLINE);
        if (failure == null) {
            pool.intake.reached();
            return true;
        }
        if (failure instanceof HealthCheckSkippedException) {
            return true;
        }
        pool.closer.destroy(s, seq, CloseReason.HEALTH);
        if (failure instanceof Error && !(failure instanceof StackOverflowError)) {
            throw (Error) failure;
        }
        return false;
    }

    /** Starts background connects until open plus connecting reach minSize. */
    void refill() {
        Bag bag = pool.bag;
        bag.lock.lock();
        try {
            if (bag.closed) {
                return;
            }
            pool.capacity.refillLocked();
            bag.serveWaitersLocked();
        } finally {
            bag.lock.unlock();
        }
    }

    /**
     * Closes every idle connection now (reason idle), then refills to minSize.
     *
     * @return how many were closed
     */
    int evictIdle() {
        return closeIdle(false);
    }

    /**
     * Retires every connection: idle ones closed now, lent ones when they come back, connects in
     * flight when they end; all counted as {@link CloseReason#LIFETIME}. Each retirement refills
     * towards minSize ({@link Capacity#retireLocked}).
     *
     * @return how many idle connections were closed now
     */
    int softEvictAll() {
        return closeIdle(true);
    }

    /** Takes the idle connections out (after retiring every connection, if asked), closes them, refills. */
    private int closeIdle(boolean retireAll) {
        Bag bag = pool.bag;
        Slot[] idle;
        bag.lock.lock();
        try {
            if (bag.closed) {
                return 0;
            }
            idle = retireAll ? pool.capacity.retireAllLocked() : pool.capacity.takeIdleLocked();
        } finally {
            bag.lock.unlock();
        }
        pool.closer.closeAndRetireAll(idle, retireAll ? CloseReason.LIFETIME : CloseReason.IDLE);
        refill();
        return idle.length;
    }
}
