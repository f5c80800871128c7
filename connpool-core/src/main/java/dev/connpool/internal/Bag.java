package dev.connpool.internal;

import dev.connpool.CloseReason;

import java.lang.ref.WeakReference;

/**
 * Claim, put back and hand-off: the only lock-free code of the pool, and the model checker's target.
 *
 * <h2>Why it is fast</h2>
 * Each thread remembers the last connection it returned (its <em>hint</em>). A get claims that
 * connection with one CAS on its state word and leaves its idle-stack entry where it is (a
 * <em>ghost</em>); the matching put-back is one CAS back. A thread that has no hint (a virtual
 * thread made per task, a thread of a large pool on its first get) scans the idle stack from the
 * top without the lock and claims the first available slot the same way, as HikariCP's bag scans
 * its shared list. No lock, no queue operation, no allocation, no clock read. A thread whose hint
 * is taken by someone else takes the lock instead, whose claims pop the stack: returns pushed on
 * top then keep the idle connections in LIFO order, so the cold ones sink and age out.
 *
 * <h2>Bounded barging</h2>
 * Waiters queue first come, first served. Strict hand-off to the oldest waiter costs a thread
 * wake-up per return, and the connection sits idle while the waiter is scheduled; so, as long as
 * the oldest waiter has waited less than {@link #BARGE_NANOS}, a returned connection stays
 * available and a thread that is already running may take it (barging) — the thread that returned
 * it, typically, with no context switch at all — while the oldest waiter is woken to compete for it
 * (one wake-up outstanding at a time). A waiter that is awake (spinning) is served directly, which
 * costs nothing. Once the oldest waiter has waited {@code BARGE_NANOS}, the bag
 * switches to {@link #handOff}: no more lock-free claims, every return goes to the waiters in
 * order, until the head of the queue is fresh again (the scheme of Go's {@code sync.Mutex}
 * starvation mode). A parked waiter sleeps at most until its bound, so it never waits longer than
 * the bound plus the hand-offs ahead of it while connections come back.
 *
 * <h2>Invariants (under {@link #lock})</h2>
 * <ul>
 *   <li>Every available slot is in the idle stack (ghost entries are lent slots).</li>
 *   <li>While the bag hands off, every available slot goes to a waiter before the lock is released
 *       ({@link #serveWaitersLocked()}); lock-free claims stop as soon as they see {@code handOff}.</li>
 *   <li>A put-back without the lock first makes the slot available, then reads
 *       {@link #waiterCount}; a waiter first raises {@code waiterCount}, then looks at the stack
 *       under the lock. One of the two always sees the other (a Dekker-style pair), so a waiter is
 *       never left behind an available slot.</li>
 *   <li>A slot is lent to one lease at a time: claims bump the slot's sequence by CAS, and only the
 *       holder of the current sequence can put it back or destroy it.</li>
 * </ul>
 */
final class Bag {

    /**
     * How long the oldest waiter may wait while running threads take returned connections first:
     * 2.5 ms. Swept with the saturated-service benchmark (docs/benchmarks/README.md, "The barging
     * bound"): below it throughput falls towards strict hand-off's, above it p99.9 grows with the
     * bound and throughput does not. Tunable for such runs with {@code -Ddev.connpool.bargeMicros}.
     */
    static final long BARGE_NANOS = Long.getLong("dev.connpool.bargeMicros", 2500L) * 1000L;

    final PoolLock lock = new PoolLock();
    private final PoolEngine pool;

    // ---- guarded by lock ----
    final IdleStack stack;
    final WaiterQueue waiters = new WaiterQueue();

    /** Mirrors {@code waiters.size()}; written under the lock, read by the lock-free paths. */
    volatile int waiterCount;
    /** Returns go to waiters in order, and nobody barges; written under the lock. */
    volatile boolean handOff;
    /** Closing has begun: nothing is lent any more; written under the lock. */
    volatile boolean closed;
    /**
     * Suspended by the operator: nothing is claimed nor handed to waiters (who wait), no connect
     * starts; returns are taken back as usual. Written under the lock.
     */
    volatile boolean suspended;

    /**
     * The slot this thread returned last. Weakly held: the map of a thread that outlives the pool
     * keeps neither the slot nor its socket reachable, and holds only JDK objects, so it pins no
     * class loader either.
     */
    private final ThreadLocal<WeakReference<Slot>> hint = new ThreadLocal<>();

    Bag(PoolEngine pool, int maxSize) {
        this.pool = pool;
        this.stack = new IdleStack(maxSize);
    }

    // =====================================================================================
    // lock-free claim and put-back
    // =====================================================================================

    /**
     * Claims an available slot without the lock: this thread's hint first, then the top of the
     * idle stack. Never while the bag hands off to waiters.
     *
     * @return the slot, held by the caller ({@link Slot#GHOST}), or null to take the slow path
     */
    Slot claimFast() {
        if (handOff || suspended) {
            return null;
        }
        WeakReference<Slot> ref = hint.get();
        Slot s = ref == null ? null : ref.get();
        if (s == null) {
            return stack.claimAnyInPlace();
        }
        // a thread whose own connection is taken goes to the lock, which pops the stack's top and
        // so keeps the order of returns (LIFO) for the connections that sit idle
        return s.claimInPlace() >= 0 ? s : null;
    }

    /**
     * Makes a slot the caller holds available again, or hands it to a waiter.
     *
     * @param remember whether the calling thread should find this slot first on its next get;
     *        true for callers (it is the connection they returned last: LIFO), false for the evictor
     */
    void putBack(Slot s, long seq, boolean remember) {
        if (closed) {
            pool.closer.destroy(s, seq, CloseReason.SHUTDOWN);
            return;
        }
        if (s.cas(Slot.state(seq, Slot.GHOST), Slot.state(seq, Slot.AVAILABLE))) {
            if (remember) {
                remember(s);
            }
            if (waiterCount != 0 || closed || s.retiring || pool.capacity.overSize) {
                // a waiter queued, close() drained the stack, a soft eviction or a resize happened,
                // between our check and our CAS (or before: the slot may have to go)
                recheck(s, seq);
            }
            return;
        }
        if (slowPutBack(s, seq) && remember) {
            remember(s);
        }
    }

    private void remember(Slot s) {
        if (hint.get() != s.self) {
            hint.set(s.self);
        }
    }

    private void recheck(Slot s, long seq) {
        Slot[] toClose = null;
        CloseReason retire = null;
        lock.lock();
        try {
            if (closed) {
                toClose = drainAvailableLocked();
            } else {
                retire = unwantedLocked(s);
                if (retire != null) {
                    // still available as we left it? then it goes; if someone claimed it, they see to it
                    if (s.cas(Slot.state(seq, Slot.AVAILABLE), Slot.state(seq, Slot.REMOVED))) {
                        stack.remove(s);
                        pool.capacity.dying++;
                    } else {
                        retire = null;
                    }
                }
                serveWaitersLocked();
            }
        } finally {
            lock.unlock();
        }
        pool.closer.closeAll(toClose);
        if (retire != null) {
            pool.closer.closeAndRetire(s, retire);
        }
    }

    /**
     * Why a connection that comes back must be closed rather than kept, or null to keep it: a soft
     * eviction retired it (its lifetime ended), or the pool is larger than a resize allows.
     */
    private CloseReason unwantedLocked(Slot s) {
        if (s.retiring) {
            return CloseReason.LIFETIME;
        }
        if (pool.capacity.overSize && pool.capacity.tooManyLocked()) {
            return CloseReason.IDLE;
        }
        return null;
    }

    /**
     * Puts back a slot whose entry left the stack (claimed under the lock, or handed over).
     *
     * @return true if the slot is available now (rather than handed over or destroyed)
     */
    private boolean slowPutBack(Slot s, long seq) {
        boolean destroy = false;
        CloseReason retire = null;
        lock.lock();
        try {
            long st = s.state();
            long bits = Slot.bitsOf(st);
            if (Slot.seqOf(st) != seq || bits == Slot.AVAILABLE || bits == Slot.REMOVED) {
                return false; // a stale lease: this slot moved on without it
            }
            if (closed) {
                destroy = true;
            } else if ((retire = unwantedLocked(s)) != null) {
                markRemovedLocked(s, seq);
                pool.capacity.dying++;
            } else {
                s.setState(Slot.state(seq, Slot.AVAILABLE));
                if (bits == Slot.BORROWED) {
                    stack.push(s);
                }
                if (waiterCount != 0) {
                    serveWaitersLocked();
                }
                return Slot.bitsOf(s.state()) == Slot.AVAILABLE;
            }
        } finally {
            lock.unlock();
        }
        if (destroy) {
            pool.closer.destroy(s, seq, CloseReason.SHUTDOWN);
        } else if (retire != null) {
            pool.closer.closeAndRetire(s, retire);
        }
        return false;
    }

    // =====================================================================================
    // under the lock: waiters
    // =====================================================================================

    /** Claims the top available slot for a caller under the lock, unless waiters are owed it. */
    Slot claimLocked() {
        return handOff || suspended ? null : stack.claimTop();
    }

    /** Queues a waiter for the current thread, at the tail or first in line for a retry, and serves the queue. */
    Waiter enqueueLocked(boolean first, long now) {
        Waiter w = queueLocked(first, now);
        serveWaitersLocked();
        return w;
    }

    /**
     * Queues a waiter for the current thread without serving the queue: for a caller that still
     * holds room it is about to free, whose freeing serves the queue (with that room counted free).
     */
    Waiter queueLocked(boolean first, long now) {
        Waiter w = new Waiter(now, lock);
        if (first) {
            waiters.addFirst(w);
        } else {
            waiters.addLast(w);
        }
        waiterCount = waiters.size();
        return w;
    }

    /** Takes a waiter out of the queue and its connect back into the pool's hands. */
    void dequeueLocked(Waiter w) {
        boolean head = waiters.head() == w;
        waiters.remove(w);
        waiterCount = waiters.size();
        pool.capacity.detachLocked(w);
        if (head && handOff) {
            Waiter next = waiters.head();
            if (next == null || System.nanoTime() - next.since < BARGE_NANOS) {
                handOff = false; // the head is fresh again: running threads may take returns
            }
        }
    }

    /** A waiter has waited past the barging bound: returns go to waiters in order from now on. */
    void starvingLocked() {
        if (!waiters.isEmpty()) {
            handOff = true;
            serveWaitersLocked();
        }
    }

    /**
     * Serves waiters from available slots, then gives the rest connects where there is room. Call
     * with the lock held after anything that may let a waiter proceed. While the bag does not hand
     * off and the oldest waiter sleeps, an available slot is left for a running thread (barging),
     * unless the newest waiter is awake to take it.
     */
    void serveWaitersLocked() {
        if (suspended) {
            return;
        }
        Waiter w;
        while ((w = waiters.head()) != null) {
            Waiter to = w;
            if (!handOff && w.parked) {
                Waiter newest = waiters.tail();
                if (newest.parked) {
                    // every candidate sleeps: a running thread may take the slot first, but the
                    // oldest waiter is woken to compete for it, so progress never rests on a timer
                    if (!w.woken && stack.hasAvailable()) {
                        w.woken = true;
                        lock.wakeLater(w);
                    }
                    break;
                }
                to = newest;
            }
            Slot s = stack.claimTop();
            if (s == null) {
                break;
            }
            dequeueLocked(to);
            to.serve(s, Slot.seqOf(s.state()), false);
        }
        pool.capacity.connectForWaitersLocked(waiters.head());
    }

    /**
     * Takes in a connection just opened: to its waiter, the oldest waiter, or the stack (always the
     * stack while suspended: the waiters wait for the pool to resume).
     */
    void intakeLocked(Slot s, Waiter target) {
        Waiter w = suspended ? null : target != null ? target : waiters.head();
        if (w != null) {
            dequeueLocked(w);
            w.serve(s, 1, true);
        } else {
            s.setState(Slot.state(0, Slot.AVAILABLE));
            stack.push(s);
        }
    }

    /** Fails every waiter; call once, when closing. */
    void failWaitersLocked() {
        for (Waiter w = waiters.head(); w != null; w = waiters.head()) {
            dequeueLocked(w);
            w.complete(Waiter.CLOSED);
        }
    }

    /** Takes every available slot out of the pool (to be closed by the caller). */
    Slot[] drainAvailableLocked() {
        Slot[] idle = stack.removeAllAvailable();
        for (Slot s : idle) {
            pool.capacity.unregisterLocked(s, CloseReason.SHUTDOWN);
        }
        return idle;
    }

    /**
     * Takes a held slot out of every structure but {@code all}; its room stays taken until retired.
     *
     * @return false if the lease was stale and nothing happened
     */
    boolean markRemovedLocked(Slot s, long seq) {
        long st = s.state();
        long bits = Slot.bitsOf(st);
        if (Slot.seqOf(st) != seq || bits == Slot.AVAILABLE || bits == Slot.REMOVED) {
            return false;
        }
        if (bits == Slot.GHOST) {
            stack.remove(s);
        }
        s.setState(Slot.state(seq, Slot.REMOVED));
        return true;
    }

    /** Takes a lent slot from its holder at shutdown (its later return does nothing). */
    boolean forceRemoveLocked(Slot s) {
        long st = s.state();
        long bits = Slot.bitsOf(st);
        if (bits == Slot.REMOVED) {
            return false; // being destroyed by its holder right now
        }
        if (bits == Slot.GHOST || bits == Slot.AVAILABLE) {
            stack.remove(s);
        }
        s.setState(Slot.state(Slot.seqOf(st), Slot.REMOVED));
        return true;
    }
}
