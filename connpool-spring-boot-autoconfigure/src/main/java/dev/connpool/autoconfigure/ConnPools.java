package dev.connpool.autoconfigure;

import dev.connpool.ConnPool;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The application's connection pools by bean name: those of {@code connpool.pools.*} and any
 * {@link ConnPool} bean the application defines itself. Useful when the pool to use is only known at
 * run time; otherwise inject the pool itself ({@code @Qualifier("orders") ConnPool orders}).
 *
 * <pre>{@code
 * try (PooledConnection conn = connPools.get(region + "-orders").get()) { ... }
 * }</pre>
 */
public final class ConnPools implements Iterable<ConnPool> {

    private final Map<String, ConnPool> pools;
    private final Map<String, String> targets;

    /**
     * Creates a registry of the given pools.
     *
     * @param pools the pools by name, in the order to list them
     */
    public ConnPools(Map<String, ConnPool> pools) {
        this(pools, Map.of());
    }

    /**
     * Creates a registry of the given pools, with where some of them connect to.
     *
     * @param pools the pools by name, in the order to list them
     * @param targets for pools whose backend is known, a description such as {@code tcp://host:9090}
     */
    public ConnPools(Map<String, ConnPool> pools, Map<String, String> targets) {
        Objects.requireNonNull(pools, "pools must not be null");
        Objects.requireNonNull(targets, "targets must not be null");
        this.pools = Collections.unmodifiableMap(new LinkedHashMap<>(pools));
        this.targets = Map.copyOf(targets);
    }

    /**
     * Looks a pool up.
     *
     * @param name the pool's bean name
     * @return the pool, or empty if there is none of that name
     */
    public Optional<ConnPool> find(String name) {
        return Optional.ofNullable(pools.get(name));
    }

    /**
     * Returns a pool that must exist.
     *
     * @param name the pool's bean name
     * @return the pool
     * @throws NoSuchElementException naming the pools there are, if there is none of that name
     */
    public ConnPool get(String name) {
        ConnPool pool = pools.get(name);
        if (pool == null) {
            throw new NoSuchElementException("no connection pool named '" + name + "'; there are " + pools.keySet());
        }
        return pool;
    }

    /**
     * Where a pool connects to, if known.
     *
     * @param name the pool's bean name
     * @return for example {@code tcp://localhost:9090} or {@code tls://db.example.com:6380}; empty for
     *         pools the application made itself or whose connection factory was replaced
     */
    public Optional<String> target(String name) {
        return Optional.ofNullable(targets.get(name));
    }

    /**
     * The names of all pools.
     *
     * @return the bean names, unmodifiable
     */
    public Set<String> names() {
        return pools.keySet();
    }

    /**
     * All pools by name.
     *
     * @return an unmodifiable map from bean name to pool
     */
    public Map<String, ConnPool> asMap() {
        return pools;
    }

    /**
     * How many pools there are.
     *
     * @return the number of pools
     */
    public int size() {
        return pools.size();
    }

    @Override
    public Iterator<ConnPool> iterator() {
        return pools.values().iterator();
    }

    @Override
    public String toString() {
        return "ConnPools" + pools.keySet();
    }
}
