package dev.connpool.benchmarks;

import org.openjdk.jmh.annotations.Threads;

/**
 * As many threads as cores, each getting and releasing connections, with enough for all:
 * how the pool scales when callers share it but need not wait. min 5 / max 20, no health check.
 */
@PoolShape(minSize = 5, maxSize = 20)
@Threads(Threads.MAX)
public class Parallel extends PoolOverhead {
}
