package dev.connpool.autoconfigure;

import dev.connpool.ConnPool;
import dev.connpool.PoolStats;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.context.ApplicationListener;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.ApplicationContext;
import org.springframework.context.ApplicationContextAware;
import org.springframework.context.event.ContextClosedEvent;

/**
 * Lets the pools take part in checkpoint/restore (CRaC): Spring stops the context's lifecycle beans
 * before a checkpoint and starts them after the restore, and a checkpoint fails while a socket is open.
 *
 * <p>{@link #stop()} suspends every pool (gets wait, no connect starts), soft-evicts it (idle
 * connections closed now, those in use when returned) and waits up to each pool's
 * {@code shutdown-grace} until it holds no connection; it warns about a pool whose connections in
 * use did not come back in time. A suspended pool starts no connect (one waiting out the connect
 * backoff is called off), stops its housekeeper thread and lets each connector thread end once it
 * has no connect to run, so once it is empty no socket of it is open and its threads are gone
 * within moments (the JVM-wide clock thread, which holds no socket, belongs to no pool).
 * {@link #start()} resumes them: waiting gets are served, the housekeeper starts again and each
 * pool refills to its {@code min-size}.
 *
 * <p>Its phase is close to the lowest there is, below the web server's, the default one and a plain
 * {@code Lifecycle} bean's (0), so that the pools stop after whatever uses them (requests in
 * progress, listeners, the application's own lifecycle beans) and start before it. When the context closes, stopping
 * is left to the close, which closes the pools with the same grace period.
 */
public final class ConnPoolCheckpointRestoreLifecycle
        implements SmartLifecycle, ApplicationListener<ContextClosedEvent>, ApplicationContextAware {

    /**
     * The phase: stopped after, and started before, the web server (whose phases are
     * {@code DEFAULT_PHASE - 1024} and {@code - 2048}), every bean of the default phase and every
     * plain {@code Lifecycle} bean (phase 0); room is left below it for a bean that must outlast
     * even the pools.
     */
    public static final int PHASE = Integer.MIN_VALUE + 1024;

    private static final Log logger = LogFactory.getLog(ConnPoolCheckpointRestoreLifecycle.class);

    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    private final ConnPools pools;
    private final Function<String, Duration> grace;

    /** Guarded by {@code this}. */
    private boolean running = true;
    private volatile boolean closing;
    private volatile ApplicationContext context;

    /**
     * Creates the lifecycle.
     *
     * @param pools the pools to stop and start
     * @param grace each pool's grace period, by name
     */
    public ConnPoolCheckpointRestoreLifecycle(ConnPools pools, Function<String, Duration> grace) {
        this.pools = pools;
        this.grace = grace;
    }

    @Override
    public void setApplicationContext(ApplicationContext context) {
        this.context = context;
    }

    /** Its own context closing: a child context's close (named contexts, a builder's child) also reaches it. */
    @Override
    public void onApplicationEvent(ContextClosedEvent event) {
        if (event.getApplicationContext() == context) {
            closing = true;
        }
    }

    /** The pools are open from the start: their beans opened them. */
    @Override
    public synchronized void start() {
        if (running) {
            return;
        }
        for (Map.Entry<String, ConnPool> e : pools.asMap().entrySet()) {
            logger.info("Resuming connection pool '" + e.getKey() + "'");
            e.getValue().resume();
        }
        running = true;
    }

    @Override
    public synchronized void stop() {
        if (!running) {
            return;
        }
        running = false;
        if (closing) {
            return; // the context closes: closing the pools waits for their connections
        }
        long start = System.nanoTime();
        for (Map.Entry<String, ConnPool> e : pools.asMap().entrySet()) {
            logger.info("Suspending connection pool '" + e.getKey() + "' and closing its connections");
            e.getValue().suspend();
            e.getValue().softEvictAll();
        }
        // every pool waits its own grace period, all from the same start
        List<String> waiting = new ArrayList<>(pools.names());
        boolean interrupted = false;
        while (!waiting.isEmpty()) {
            waiting.removeIf(name -> drained(pools.get(name)));
            waiting.removeIf(name -> {
                if (System.nanoTime() - start < grace.apply(name).toNanos()) {
                    return false;
                }
                logger.warn("Connection pool '" + name + "' still has connections in use "
                        + grace.apply(name).toMillis() + " ms after it was suspended (shutdown-grace); a checkpoint"
                        + " fails while they are open: " + pools.get(name).stats());
                return true;
            });
            if (!waiting.isEmpty()) {
                LockSupport.parkNanos(POLL_NANOS);
                interrupted |= Thread.interrupted();
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Whether a suspended pool holds no connection; one a connect in progress made since is closed.
     */
    private static boolean drained(ConnPool pool) {
        if (pool.isClosed()) {
            return true;
        }
        PoolStats s = pool.stats();
        if (s.available() > 0) {
            pool.softEvictAll();
        }
        return s.size() == 0 && s.connecting() == 0;
    }

    @Override
    public synchronized boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        return PHASE;
    }
}
