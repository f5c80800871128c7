package dev.connpool.benchmarks;

import org.openjdk.jmh.annotations.Threads;

/**
 * {@link Sequential} with a health check on every get: connpool's {@code HealthCheck.liveness()}
 * (a non-blocking read on the socket's channel); each peer runs that very check in its own
 * validate-on-borrow hook (Stormpot's Expiration, Vibur's readyToTake, Commons Pool's
 * testOnBorrow), or right after the borrow where it has none (the bag, the queue), so the work
 * checked is identical. min 5 / max 10.
 */
@PoolShape(minSize = 5, maxSize = 10, healthCheck = true)
@Threads(1)
public class HealthChecked extends PoolOverhead {
}
