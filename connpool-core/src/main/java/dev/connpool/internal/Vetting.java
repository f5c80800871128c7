package dev.connpool.internal;

import dev.connpool.CloseReason;
import dev.connpool.HealthCheck;
import dev.connpool.HealthCheckSkippedException;

/**
 * Whether a connection may be lent, cheapest rule first: its lifetime, its idle time (which only
 * counts while the pool holds more than {@code minSize}, decided by {@link Closer#destroyIfAboveMin}),
 * then the health check, which a get skips for a connection idle less than
 * {@code healthCheckAfterIdle}. The cheap rules read the {@link CoarseClock}; only the check does I/O.
 */
final class Vetting {

    /** Lend it: no check is needed. */
    static final int LEND = 0;
    /** Lend it without the check, which the {@code healthCheckAfterIdle} window lets it skip. */
    static final int LEND_SKIPPING_CHECK = 1;
    /** Run the health check first. */
    static final int CHECK = 2;
    /** Its lifetime is over: close it. */
    static final int EXPIRED = 3;
    /** Idle longer than the idle timeout: close it, unless the pool is at {@code minSize}. */
    static final int IDLE = 4;
    /** Closed by {@link #settle}: expired, or idle too long. */
    static final int GONE = 5;

    /** Null when the configured check is {@link HealthCheck#none()}. */
    private final HealthCheck check;
    private final long idleTimeoutNanos;
    private final long checkAfterIdleNanos;
    /** Whether idle, lifetime or window rules are on, which is when the coarse clock is needed. */
    final boolean timed;

    Vetting(HealthCheck check, long idleTimeoutNanos, long maxLifetimeNanos, long checkAfterIdleNanos) {
        this.check = check == HealthCheck.none() ? null : check;
        this.idleTimeoutNanos = idleTimeoutNanos;
        this.checkAfterIdleNanos = this.check == null ? 0 : checkAfterIdleNanos;
        this.timed = idleTimeoutNanos > 0 || maxLifetimeNanos > 0 || this.checkAfterIdleNanos > 0;
    }

    /** Whether a get may lend a connection without running the check: there is none, or a window. */
    boolean lendsWithoutCheck() {
        return check == null || checkAfterIdleNanos > 0;
    }

    /**
     * The verdict on a slot the caller holds, short of running the check.
     *
     * @param forGet true for a caller (the check may be skipped within the window), false for the
     *        evictor (which checks every idle connection)
     */
    int verdict(Slot s, boolean forGet) {
        if (s.retiring) {
            return EXPIRED; // a soft eviction ended its lifetime while it came back
        }
        if (timed) {
            long now = CoarseClock.now();
            if (s.expired(now)) {
                return EXPIRED;
            }
            if (idleTimeoutNanos > 0 && now - s.idleSince >= idleTimeoutNanos) {
                return IDLE;
            }
        }
        return afterIdle(s, forGet);
    }

    /**
     * Applies the cheap rules to a slot the caller holds: an expired one, or one idle too long while
     * the pool holds more than {@code minSize}, is closed (counted under its reason).
     *
     * @return {@link #GONE} if it was closed, else {@link #LEND}, {@link #LEND_SKIPPING_CHECK} or {@link #CHECK}
     */
    int settle(Slot s, long seq, Closer closer, boolean forGet) {
        int v = verdict(s, forGet);
        if (v == EXPIRED) {
            closer.destroy(s, seq, CloseReason.LIFETIME);
            return GONE;
        }
        if (v == IDLE) {
            return closer.destroyIfAboveMin(s, seq) ? GONE : afterIdle(s, forGet);
        }
        return v;
    }

    /** The verdict once lifetime and idle time are settled. */
    int afterIdle(Slot s, boolean forGet) {
        if (check == null) {
            return LEND;
        }
        if (forGet && checkAfterIdleNanos > 0 && CoarseClock.now() - s.idleSince < checkAfterIdleNanos) {
            return LEND_SKIPPING_CHECK;
        }
        return CHECK;
    }

    /**
     * Runs the health check.
     *
     * @param deadline when the caller needs the answer ({@code System.nanoTime()})
     * @return null if healthy, the {@link HealthCheckSkippedException} if the check found no time
     *         to run (the connection is as good as before), else why it failed
     */
    Throwable check(Slot s, long deadline) {
        try {
            check.check(s.socket, deadline);
            return null;
        } catch (Throwable t) {
            return t;
        }
    }
}
