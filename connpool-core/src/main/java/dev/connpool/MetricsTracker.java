package dev.connpool;

/**
 * Receives timings from a pool, for metrics systems. Register one with
 * {@link ConnPool#addMetricsTracker(MetricsTracker)}; {@link dev.connpool.micrometer.ConnPoolMetrics}
 * does so for Micrometer. Counts (created, closed by reason, timeouts) are in {@link PoolStats}
 * and need no tracker.
 *
 * <p>Methods are called on the thread that caused the event, some on the pool's hot path: they
 * must be quick. A tracker that throws is isolated: the pool logs its first failure once (WARNING,
 * logger {@code dev.connpool}) and the lease it was timing is unaffected. Without any tracker
 * registered, the pool reads no clock for these timings at all.
 */
public interface MetricsTracker {

    /**
     * A caller got a connection.
     *
     * @param nanos time spent in {@code get}, waiting and connecting included
     */
    default void acquired(long nanos) {
    }

    /**
     * A caller gave a connection back.
     *
     * @param nanos time from {@code get} returning to the lease being closed
     */
    default void released(long nanos) {
    }

    /**
     * The pool opened a connection.
     *
     * @param nanos time the connection factory took
     */
    default void connected(long nanos) {
    }
}
