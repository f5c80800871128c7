package dev.connpool.benchmarks;

import org.openjdk.jmh.annotations.Threads;

/**
 * One thread gets a connection and releases it, again and again: the pool's own cost with nobody
 * competing. min 5 / max 10, no health check.
 */
@PoolShape(minSize = 5, maxSize = 10)
@Threads(1)
public class Sequential extends PoolOverhead {
}
