package dev.connpool.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.ref.WeakReference;
import java.net.Socket;

/**
 * One open connection of a pool and its lease state.
 *
 * <p>The state word packs a lease sequence number with one of four states:
 * <ul>
 *   <li>{@link #AVAILABLE}: idle, in the idle stack, claimable by anyone with one CAS;</li>
 *   <li>{@link #GHOST}: lent (or being checked by the evictor) while its entry stays in the idle
 *       stack, because it was claimed through a thread's hint without touching the stack;</li>
 *   <li>{@link #BORROWED}: lent and not in the idle stack;</li>
 *   <li>{@link #REMOVED}: closed, in no structure of the pool.</li>
 * </ul>
 * Every claim increments the sequence, and a lease carries the sequence it was granted, so a
 * release or destroy with a stale sequence (a lease closed twice, concurrently) fails its CAS
 * and does nothing. Only the holder of the current sequence moves a lent slot on; the pool's
 * lock is needed only to change stack membership.
 */
final class Slot {

    static final long AVAILABLE = 0;
    static final long GHOST = 1;
    static final long BORROWED = 2;
    static final long REMOVED = 3;
    static final long MASK = 3;
    static final int SEQ_SHIFT = 2;
    /** The longest stretch at the end of a lifetime checked with the precise clock. */
    static final long PRECISE_WINDOW = 1_000_000_000L;

    private static final VarHandle STATE;
    private static final VarHandle FAST_LEASES;
    private static final VarHandle CHECKS_SKIPPED;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            STATE = l.findVarHandle(Slot.class, "state", long.class);
            FAST_LEASES = l.findVarHandle(Slot.class, "fastLeases", long.class);
            CHECKS_SKIPPED = l.findVarHandle(Slot.class, "checksSkipped", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final Socket socket;
    /** What a thread's hint holds: made once, so remembering a slot allocates nothing. */
    final WeakReference<Slot> self = new WeakReference<>(this);
    /** When its connect started ({@link CoarseClock#precise()} scale): its lifetime counts from there. */
    final long createdAt;
    /** When the slot's drawn lifetime ends ({@link CoarseClock#precise()} scale); only if {@link #mortal}. */
    final long expiresAt;
    /**
     * From when (coarse clock) lifetime checks read the precise clock: the last stretch of the
     * lifetime, a tenth of it but at most a second. Until then a coarse reading, even one lagging
     * by less than that stretch, cannot be past the expiry; within it, one precise reading per check
     * keeps the ceiling exact. With a 5 minute lifetime that is one get in 300 paying for a
     * clock read, and the ceiling holds unless the clock thread is starved for a whole second.
     */
    final long preciseFrom;
    final boolean mortal;

    /** Sequence and state, see the class comment. */
    private volatile long state;

    /**
     * Set (once, under the pool's lock) when {@code softEvictAll()} retired the slot while it was
     * lent: it is closed when it comes back, and never lent again. Read after the put-back's CAS
     * (and set before the soft eviction reads the state), so one of the two always sees the other.
     */
    volatile boolean retiring;

    /** Where and when the current lease began, while leak detection is on; written by the holder. */
    volatile LeaseOrigin origin;

    /**
     * When the slot last became idle (coarse clock). Written by the lease holder before the state
     * write that publishes the slot, read after the CAS that claims it.
     */
    long idleSince;

    /** Leases granted on the fast path; written by the lease holder only, read by stats. */
    @SuppressWarnings("unused")
    private long fastLeases;

    /** Gets that lent this slot without its health check (healthCheckAfterIdle); holder-written, like fastLeases. */
    @SuppressWarnings("unused")
    private long checksSkipped;

    Slot(Socket socket, long createdAt, long lifetimeNanos, long initialState) {
        this.socket = socket;
        this.createdAt = createdAt;
        this.mortal = lifetimeNanos > 0;
        this.expiresAt = mortal ? createdAt + lifetimeNanos : 0;
        this.preciseFrom = expiresAt - Math.max(CoarseClock.SLACK_NANOS, Math.min(lifetimeNanos / 10, PRECISE_WINDOW));
        this.idleSince = CoarseClock.now();
        this.state = initialState;
    }

    static long state(long seq, long bits) {
        return (seq << SEQ_SHIFT) | bits;
    }

    static long seqOf(long state) {
        return state >>> SEQ_SHIFT;
    }

    static long bitsOf(long state) {
        return state & MASK;
    }

    long state() {
        return state;
    }

    void setState(long newState) {
        state = newState;
    }

    boolean cas(long expect, long update) {
        return STATE.compareAndSet(this, expect, update);
    }

    /**
     * Claims the slot if it is available, leaving its stack entry in place (it becomes a ghost).
     *
     * @return the new lease sequence, or -1 if the slot was not available
     */
    long claimInPlace() {
        long s = state;
        if (bitsOf(s) == AVAILABLE && STATE.compareAndSet(this, s, s + (1L << SEQ_SHIFT) + GHOST)) {
            return seqOf(s) + 1;
        }
        return -1;
    }

    /** Whether its lifetime has ended: a coarse reading first, the precise clock near the end. */
    boolean expired(long coarseNow) {
        return mortal && coarseNow - preciseFrom >= 0 && CoarseClock.precise() - expiresAt >= 0;
    }

    void countFastLease() {
        FAST_LEASES.setOpaque(this, (long) FAST_LEASES.getOpaque(this) + 1);
    }

    long fastLeases() {
        return (long) FAST_LEASES.getOpaque(this);
    }

    void countSkippedCheck() {
        CHECKS_SKIPPED.setOpaque(this, (long) CHECKS_SKIPPED.getOpaque(this) + 1);
    }

    long checksSkipped() {
        return (long) CHECKS_SKIPPED.getOpaque(this);
    }

    @Override
    public String toString() {
        long s = state;
        return "Slot[" + socket + ", seq=" + seqOf(s) + ", bits=" + bitsOf(s) + "]";
    }
}
