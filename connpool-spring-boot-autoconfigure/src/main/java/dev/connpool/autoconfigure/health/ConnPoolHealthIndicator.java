package dev.connpool.autoconfigure.health;

import dev.connpool.AcquireTimeoutException;
import dev.connpool.ConnPool;
import dev.connpool.ConnectFailedException;
import dev.connpool.PoolStats;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * The health of one pool: whether its backend can be reached. It never blocks longer than the probe
 * timeout, and usually not at all:
 * <ol>
 *   <li>a closed pool is {@code OUT_OF_SERVICE};</li>
 *   <li>a pool that keeps {@code min-size} connections open, with its evictor on, is {@code DOWN}
 *       while its latest attempt to reach the backend failed: a connect failed, and no connection has
 *       been connected, checked or lent successfully since (the pool clears
 *       {@link ConnPool#lastConnectFailure()} on any of those). The evictor checks idle connections (a
 *       backend that went away fails the liveness check) and reconnects every evict interval, so this
 *       state follows the backend without any traffic, both ways;</li>
 *   <li>a pool with connections open and no failed connect is {@code UP}: those connections vouch
 *       for the backend (the evictor, and every {@code get}, check idle ones);</li>
 *   <li>otherwise nothing vouches for the backend, so a probe asks the pool for a connection (a
 *       {@code get} bounded by the probe timeout, run on a thread of its own) and gives it back:
 *       {@code UP} if it got one, {@code DOWN} if not, or not within the probe timeout. A probe's
 *       result is reused for the probe interval, so a health poll never hammers a backend that is
 *       down, and a slow probe goes on in the background for the next poll.</li>
 * </ol>
 * Details: {@code size}, {@code active}, {@code idle}, {@code waiters}, {@code connecting},
 * {@code min}, {@code max}, {@code target} where known, {@code lastConnectError} if the last connect
 * failed, and {@code probe} when a probe decided.
 */
public class ConnPoolHealthIndicator implements HealthIndicator {

    private final ConnPool pool;
    private final @Nullable String target;
    private final Duration probeTimeout;
    private final long probeIntervalNanos;

    /** The latest probe, running or done; guarded by {@code this}. */
    private @Nullable Probe probe;

    /**
     * Creates the indicator of one pool.
     *
     * @param pool the pool
     * @param target where the pool connects to, for the details; null if unknown
     * @param probeTimeout how long a health request waits for a probe
     * @param probeInterval how long a probe's result is reused
     */
    public ConnPoolHealthIndicator(ConnPool pool, @Nullable String target, Duration probeTimeout,
            Duration probeInterval) {
        this.pool = Objects.requireNonNull(pool, "pool must not be null");
        this.target = target;
        this.probeTimeout = Objects.requireNonNull(probeTimeout, "probeTimeout must not be null");
        this.probeIntervalNanos = probeInterval.toNanos();
    }

    @Override
    public Health health() {
        Health.Builder builder;
        PoolStats stats = pool.stats();
        if (pool.isClosed()) {
            builder = Health.outOfService();
        } else {
            Optional<Throwable> failure = pool.lastConnectFailure();
            if (failure.isPresent() && keepsItselfFilled(pool)) {
                builder = Health.down().withDetail("lastConnectError", failure.get().toString());
            } else if (failure.isEmpty() && stats.size() > 0) {
                builder = Health.up();
            } else {
                builder = probe(failure);
                stats = pool.stats(); // again after the probe, so that the connection it made shows
            }
        }
        builder.withDetail("size", stats.size())
                .withDetail("active", stats.active())
                .withDetail("idle", stats.available())
                .withDetail("waiters", stats.waiters())
                .withDetail("connecting", stats.connecting())
                .withDetail("min", pool.config().minSize())
                .withDetail("max", pool.config().maxSize());
        if (target != null) {
            builder.withDetail("target", target);
        }
        return builder.build();
    }

    /**
     * Whether this indicator reports the pool DOWN without a probe: its last connect failed, and it
     * keeps itself filled (a min-size and an evictor), so it retries on its own and would have
     * cleared the failure with its next successful connect. Cheap: no I/O, no lock.
     *
     * @param pool the pool
     * @return true if the pool is known to be down
     */
    public static boolean isKnownDown(ConnPool pool) {
        return keepsItselfFilled(pool) && pool.lastConnectFailure().isPresent();
    }

    private static boolean keepsItselfFilled(ConnPool pool) {
        Duration evictInterval = pool.config().evictInterval();
        return pool.config().minSize() > 0 && !evictInterval.isZero() && !evictInterval.isNegative();
    }

    private Health.Builder probe(Optional<Throwable> lastFailure) {
        Probe p = currentProbe();
        Throwable outcome = null;
        boolean answered = true;
        try {
            outcome = p.result.get(probeTimeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            // the probe goes on; its answer is for a later request
            answered = false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Health.unknown().withDetail("probe", "interrupted");
        } catch (ExecutionException e) {
            outcome = e.getCause();
        }
        if (answered && outcome == null) {
            return Health.up().withDetail("probe", "got a connection");
        }
        Health.Builder down = Health.down();
        if (!answered || outcome instanceof AcquireTimeoutException) {
            // still connecting, or waiting for a connection: as good as unreachable for a health check
            down.withDetail("probe", "no connection within " + probeTimeout.toMillis() + "ms");
            lastFailure.ifPresent(f -> down.withDetail("lastConnectError", f.toString()));
        } else {
            Throwable cause = outcome instanceof ConnectFailedException && outcome.getCause() != null
                    ? outcome.getCause() : outcome;
            down.withDetail("probe", "failed").withDetail("lastConnectError", cause.toString());
        }
        return down;
    }

    /** The running probe, or the last one if it is recent enough, or a new one. */
    private synchronized Probe currentProbe() {
        long now = System.nanoTime();
        Probe p = probe;
        if (p != null && (!p.result.isDone() || now - p.startedAt < probeIntervalNanos)) {
            return p;
        }
        Probe fresh = new Probe(now);
        probe = fresh;
        Thread t = new Thread(() -> fresh.run(pool, probeTimeout), "connpool-" + pool.name() + "-health-probe");
        t.setDaemon(true);
        t.start();
        return fresh;
    }

    /** One probe: a bounded get, given back at once. Completes with null if it got a connection. */
    private static final class Probe {

        final long startedAt;
        final CompletableFuture<@Nullable Throwable> result = new CompletableFuture<>();

        Probe(long startedAt) {
            this.startedAt = startedAt;
        }

        void run(ConnPool pool, Duration timeout) {
            Throwable failure = null;
            try {
                // given back before the result is known, so that it vouches for the next request
                pool.get(timeout).close();
            } catch (Throwable t) {
                // the pool's answer: connect failure, timeout, closed
                failure = t;
            }
            result.complete(failure);
        }
    }
}
