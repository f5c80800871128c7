package dev.connpool.autoconfigure.observation;

import dev.connpool.ConnPool;
import dev.connpool.PooledConnection;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import java.io.IOException;
import java.time.Duration;
import java.util.Objects;

/**
 * A pool whose {@code get} runs inside a {@code connpool.acquire} {@link Observation}, tagged with the
 * pool's name (low-cardinality key {@code pool}); a get that times out or fails records its exception
 * as the observation's error. Traces then show how long each request waited for a connection, and
 * timers ({@code connpool.acquire}) count them by outcome.
 *
 * <p>The pool itself is the {@link ConnPool} bean, unchanged: {@code @Qualifier("orders") ConnPool}
 * is never observed, and keeps the pool's allocation-free fast path. Get an observed one from
 * {@link ObservedConnPools}. While the registry is a no-op ({@link ObservationRegistry#NOOP}, no
 * registry in the context, or one without handlers yet) this class calls the pool directly (with
 * {@code NOOP}, allocating nothing); the registry is asked on every get, so handlers added to it later
 * see the gets that follow.
 */
public final class ObservedConnPool {

    /** The observation's name; also the name of the timer Micrometer derives from it. */
    public static final String OBSERVATION_NAME = "connpool.acquire";

    /** The low-cardinality key naming the pool. */
    public static final String POOL_KEY = "pool";

    private final ConnPool pool;
    private final ObservationRegistry registry;

    /**
     * Observes a pool's gets.
     *
     * @param pool the pool
     * @param registry where the observations go
     */
    public ObservedConnPool(ConnPool pool, ObservationRegistry registry) {
        this.pool = Objects.requireNonNull(pool, "pool must not be null");
        this.registry = Objects.requireNonNull(registry, "registry must not be null");
    }

    /**
     * Lends a connection within the pool's acquire timeout, as {@link ConnPool#get()}, observed.
     *
     * @return a connection; close it to give it back
     * @throws IOException as {@link ConnPool#get()}
     */
    public PooledConnection get() throws IOException {
        if (registry.isNoop()) {
            return pool.get();
        }
        Observation observation = start();
        try (Observation.Scope scope = observation.openScope()) {
            return pool.get();
        } catch (IOException | RuntimeException | Error e) {
            observation.error(e);
            throw e;
        } finally {
            observation.stop();
        }
    }

    /**
     * Lends a connection within the given time, as {@link ConnPool#get(Duration)}, observed.
     *
     * @param timeout the longest to wait, connecting included
     * @return a connection; close it to give it back
     * @throws IOException as {@link ConnPool#get(Duration)}
     */
    public PooledConnection get(Duration timeout) throws IOException {
        if (registry.isNoop()) {
            return pool.get(timeout);
        }
        Observation observation = start();
        try (Observation.Scope scope = observation.openScope()) {
            return pool.get(timeout);
        } catch (IOException | RuntimeException | Error e) {
            observation.error(e);
            throw e;
        } finally {
            observation.stop();
        }
    }

    private Observation start() {
        return Observation.createNotStarted(OBSERVATION_NAME, registry)
                .contextualName("connpool acquire " + pool.name())
                .lowCardinalityKeyValue(POOL_KEY, pool.name())
                .start();
    }

    /**
     * The pool itself, for everything but an observed get.
     *
     * @return the pool
     */
    public ConnPool pool() {
        return pool;
    }

    /**
     * The pool's name.
     *
     * @return the name
     */
    public String name() {
        return pool.name();
    }

    @Override
    public String toString() {
        return "ObservedConnPool[" + pool.name() + "]";
    }
}
