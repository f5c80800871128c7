package dev.connpool;

import java.time.Duration;

/**
 * A snapshot of a pool's state and counters, taken by {@link ConnPool#stats()}.
 *
 * <p>Every snapshot satisfies {@code 0 <= active}, {@code 0 <= available},
 * {@code active + available <= size <= maxSize} (after {@link ConnPool#resize} to a smaller
 * {@code maxSize}: the larger one, until the excess connections in use have come back). Counters only grow; they are never reset, not
 * even by {@link ConnPool#close()}, and the close reasons add up:
 * {@code idleClosed + lifetimeClosed + pingFailed + unusableClosed + shutdownClosed == created - size}.
 *
 * @param size connections open now, lent out or idle (connects in progress are not counted)
 * @param active connections lent out now (or being checked by the evictor)
 * @param available idle connections ready to be lent
 * @param waiters callers waiting in {@code get} now
 * @param connecting connects in progress now (a connect waiting out the connect backoff included)
 * @param requests calls to {@code get} so far (the ones in progress included)
 * @param successes calls to {@code get} that returned a connection
 * @param timeouts calls to {@code get} that failed with {@link AcquireTimeoutException}
 * @param created connections opened so far
 * @param connectFailures connects that failed so far
 * @param idleClosed connections closed for {@link CloseReason#IDLE}
 * @param lifetimeClosed connections closed for {@link CloseReason#LIFETIME}
 * @param pingFailed connections closed for {@link CloseReason#HEALTH}
 * @param unusableClosed connections closed for {@link CloseReason#UNUSABLE}
 * @param shutdownClosed connections closed for {@link CloseReason#SHUTDOWN}
 * @param waitCount calls to {@code get} that found the pool at {@code maxSize} and had to wait for a
 *        connection to come back (callers that only waited for a connect of their own are not counted)
 * @param waitTime the total time those calls spent in {@code get}
 * @param healthChecksSkipped gets that lent an idle connection without running the health check,
 *        because it had been idle less than {@link ConnPoolConfig#healthCheckAfterIdle()}
 * @param leaksSuspected leases reported by leak detection so far: held longer than
 *        {@link ConnPoolConfig#leakDetectionThreshold()}, each counted once (whether or not it came
 *        back later)
 */
public record PoolStats(
        int size,
        int active,
        int available,
        int waiters,
        int connecting,
        long requests,
        long successes,
        long timeouts,
        long created,
        long connectFailures,
        long idleClosed,
        long lifetimeClosed,
        long pingFailed,
        long unusableClosed,
        long shutdownClosed,
        long waitCount,
        Duration waitTime,
        long healthChecksSkipped,
        long leaksSuspected) {

    /**
     * Connections closed for a reason.
     *
     * @param reason the reason
     * @return how many connections were closed for it so far
     */
    public long closed(CloseReason reason) {
        switch (reason) {
            case IDLE:
                return idleClosed;
            case LIFETIME:
                return lifetimeClosed;
            case HEALTH:
                return pingFailed;
            case UNUSABLE:
                return unusableClosed;
            case SHUTDOWN:
                return shutdownClosed;
            default:
                throw new IllegalArgumentException("unknown close reason " + reason);
        }
    }

    /**
     * Connections closed for any reason.
     *
     * @return the sum of the per-reason counters, always {@code created - size}
     */
    public long closed() {
        return idleClosed + lifetimeClosed + pingFailed + unusableClosed + shutdownClosed;
    }

    @Override
    public String toString() {
        return "size=" + size + ", active=" + active + ", available=" + available + ", waiters=" + waiters
                + ", connecting=" + connecting + ", requests=" + requests + ", successes=" + successes
                + ", timeouts=" + timeouts + ", created=" + created + ", connectFailures=" + connectFailures
                + ", closed[idle=" + idleClosed + ", lifetime=" + lifetimeClosed + ", health=" + pingFailed
                + ", unusable=" + unusableClosed + ", shutdown=" + shutdownClosed + "]"
                + ", waitCount=" + waitCount + ", waitTime=" + waitTime.toMillis() + "ms"
                + ", healthChecksSkipped=" + healthChecksSkipped + ", leaksSuspected=" + leaksSuspected;
    }
}
