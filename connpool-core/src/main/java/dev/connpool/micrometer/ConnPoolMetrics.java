package dev.connpool.micrometer;

import dev.connpool.CloseReason;
import dev.connpool.ConnPool;
import dev.connpool.MetricsTracker;
import dev.connpool.PoolStats;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

/**
 * Binds a pool's meters to a Micrometer registry, every meter tagged {@code pool=<name>}:
 *
 * <table>
 * <caption>Meters</caption>
 * <tr><th>name</th><th>type</th><th>what</th></tr>
 * <tr><td>{@code connpool.connections}</td><td>gauge</td><td>open connections</td></tr>
 * <tr><td>{@code connpool.connections.active}</td><td>gauge</td><td>connections lent out</td></tr>
 * <tr><td>{@code connpool.connections.idle}</td><td>gauge</td><td>idle connections</td></tr>
 * <tr><td>{@code connpool.connections.pending}</td><td>gauge</td><td>callers waiting for a connection</td></tr>
 * <tr><td>{@code connpool.connections.max}</td><td>gauge</td><td>{@code maxSize}</td></tr>
 * <tr><td>{@code connpool.connections.min}</td><td>gauge</td><td>{@code minSize}</td></tr>
 * <tr><td>{@code connpool.connections.acquire}</td><td>timer</td><td>time in {@code get}</td></tr>
 * <tr><td>{@code connpool.connections.usage}</td><td>timer</td><td>time from get to release</td></tr>
 * <tr><td>{@code connpool.connections.creation}</td><td>timer</td><td>time to open a connection</td></tr>
 * <tr><td>{@code connpool.connections.timeout}</td><td>counter</td><td>gets that timed out</td></tr>
 * <tr><td>{@code connpool.connections.created}</td><td>counter</td><td>connections opened</td></tr>
 * <tr><td>{@code connpool.connections.closed}</td><td>counter</td><td>connections closed, tag {@code reason}:
 *     idle, lifetime, health, unusable, shutdown</td></tr>
 * <tr><td>{@code connpool.connections.leaked}</td><td>counter</td><td>leases reported by leak detection
 *     ({@link PoolStats#leaksSuspected()})</td></tr>
 * <tr><td>{@code connpool.connections.health.skipped}</td><td>counter</td><td>gets that skipped the health
 *     check thanks to {@code healthCheckAfterIdle} ({@link PoolStats#healthChecksSkipped()})</td></tr>
 * </table>
 *
 * <pre>{@code
 * new ConnPoolMetrics(pool).bindTo(registry);
 * }</pre>
 *
 * Binding registers a {@link MetricsTracker} on the pool for the timers; {@link #close()}
 * unregisters it. Gauges and counters read {@link ConnPool#stats()} when the registry asks.
 */
public final class ConnPoolMetrics implements MeterBinder, AutoCloseable {

    private final ConnPool pool;
    private final Tags tags;
    private final List<MetricsTracker> trackers = new ArrayList<>();

    /**
     * Prepares the meters of one pool.
     *
     * @param pool the pool to measure
     */
    public ConnPoolMetrics(ConnPool pool) {
        this(pool, Tags.empty());
    }

    /**
     * Prepares the meters of one pool, with extra tags.
     *
     * @param pool the pool to measure
     * @param extraTags tags added to every meter besides {@code pool}
     */
    public ConnPoolMetrics(ConnPool pool, Iterable<Tag> extraTags) {
        this.pool = Objects.requireNonNull(pool, "pool must not be null");
        this.tags = Tags.of("pool", pool.name()).and(extraTags);
    }

    /**
     * Registers the meters.
     *
     * @param registry where to register them
     */
    @Override
    public void bindTo(MeterRegistry registry) {
        gauge(registry, "connpool.connections", "Open connections, lent out or idle", PoolStats::size);
        gauge(registry, "connpool.connections.active", "Connections lent out", PoolStats::active);
        gauge(registry, "connpool.connections.idle", "Idle connections", PoolStats::available);
        gauge(registry, "connpool.connections.pending", "Callers waiting for a connection", PoolStats::waiters);
        Gauge.builder("connpool.connections.max", pool, p -> p.config().maxSize())
                .description("Most connections the pool may open").baseUnit("connections").tags(tags)
                .register(registry);
        Gauge.builder("connpool.connections.min", pool, p -> p.config().minSize())
                .description("Connections the pool keeps open when idle").baseUnit("connections").tags(tags)
                .register(registry);

        counter(registry, "connpool.connections.timeout", "Gets that timed out", Tags.empty(), PoolStats::timeouts);
        counter(registry, "connpool.connections.created", "Connections opened", Tags.empty(), PoolStats::created);
        counter(registry, "connpool.connections.leaked", "Leases held longer than the leak detection threshold",
                Tags.empty(), PoolStats::leaksSuspected);
        counter(registry, "connpool.connections.health.skipped",
                "Gets that lent an idle connection without its health check (healthCheckAfterIdle)", Tags.empty(),
                PoolStats::healthChecksSkipped);
        for (CloseReason reason : CloseReason.values()) {
            counter(registry, "connpool.connections.closed", "Connections closed, by reason",
                    Tags.of("reason", reason.tag()), s -> s.closed(reason));
        }

        Timer acquire = Timer.builder("connpool.connections.acquire")
                .description("Time to get a connection, waiting and connecting included").tags(tags)
                .register(registry);
        Timer usage = Timer.builder("connpool.connections.usage")
                .description("Time a connection was lent out").tags(tags).register(registry);
        Timer creation = Timer.builder("connpool.connections.creation")
                .description("Time to open a connection").tags(tags).register(registry);
        MetricsTracker tracker = new MetricsTracker() {
            @Override
            public void acquired(long nanos) {
                acquire.record(nanos, TimeUnit.NANOSECONDS);
            }

            @Override
            public void released(long nanos) {
                usage.record(nanos, TimeUnit.NANOSECONDS);
            }

            @Override
            public void connected(long nanos) {
                creation.record(nanos, TimeUnit.NANOSECONDS);
            }
        };
        synchronized (trackers) {
            trackers.add(tracker);
        }
        pool.addMetricsTracker(tracker);
    }

    private void gauge(MeterRegistry registry, String name, String description, ToDoubleFunction<PoolStats> f) {
        Gauge.builder(name, pool, p -> f.applyAsDouble(p.stats()))
                .description(description).baseUnit("connections").tags(tags).register(registry);
    }

    private void counter(MeterRegistry registry, String name, String description, Tags extra,
            ToDoubleFunction<PoolStats> f) {
        FunctionCounter.builder(name, pool, p -> f.applyAsDouble(p.stats()))
                .description(description).baseUnit("connections").tags(tags.and(extra)).register(registry);
    }

    /** Unregisters the timers' trackers from the pool; the registry keeps the meters. */
    @Override
    public void close() {
        synchronized (trackers) {
            trackers.forEach(pool::removeMetricsTracker);
            trackers.clear();
        }
    }
}
