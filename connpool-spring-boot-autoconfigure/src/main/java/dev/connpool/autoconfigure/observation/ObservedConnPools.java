package dev.connpool.autoconfigure.observation;

import dev.connpool.ConnPool;
import dev.connpool.autoconfigure.ConnPools;
import io.micrometer.observation.ObservationRegistry;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.Set;

/**
 * The pools of {@link ConnPools}, each as an {@link ObservedConnPool}: inject this to have your gets
 * observed ({@code connpool.acquire}, tagged {@code pool}).
 *
 * <pre>{@code
 * OrderClient(ObservedConnPools pools) {
 *     this.orders = pools.get("orders");
 * }
 * ...
 * try (PooledConnection conn = orders.get()) { ... }
 * }</pre>
 */
public final class ObservedConnPools {

    private final Map<String, ObservedConnPool> pools;

    /**
     * Observes every pool.
     *
     * @param pools the pools
     * @param registry where the observations go; {@link ObservationRegistry#NOOP} for none
     */
    public ObservedConnPools(ConnPools pools, ObservationRegistry registry) {
        Map<String, ObservedConnPool> observed = new LinkedHashMap<>();
        for (Map.Entry<String, ConnPool> e : pools.asMap().entrySet()) {
            observed.put(e.getKey(), new ObservedConnPool(e.getValue(), registry));
        }
        this.pools = Collections.unmodifiableMap(observed);
    }

    /**
     * Looks a pool up.
     *
     * @param name the pool's bean name
     * @return the observed pool, or empty if there is none of that name
     */
    public Optional<ObservedConnPool> find(String name) {
        return Optional.ofNullable(pools.get(name));
    }

    /**
     * Returns a pool that must exist.
     *
     * @param name the pool's bean name
     * @return the observed pool
     * @throws NoSuchElementException naming the pools there are, if there is none of that name
     */
    public ObservedConnPool get(String name) {
        ObservedConnPool pool = pools.get(name);
        if (pool == null) {
            throw new NoSuchElementException("no connection pool named '" + name + "'; there are " + pools.keySet());
        }
        return pool;
    }

    /**
     * The names of all pools.
     *
     * @return the bean names, unmodifiable
     */
    public Set<String> names() {
        return pools.keySet();
    }

    @Override
    public String toString() {
        return "ObservedConnPools" + pools.keySet();
    }
}
