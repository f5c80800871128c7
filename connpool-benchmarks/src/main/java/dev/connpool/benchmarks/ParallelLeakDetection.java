package dev.connpool.benchmarks;

import org.openjdk.jmh.annotations.Threads;

/** {@link Parallel} with leak detection on (threshold a minute): see {@link LeakDetectionCost}. */
@PoolShape(minSize = 5, maxSize = 20, leakDetectionMillis = LeakDetectionCost.THRESHOLD_MILLIS)
@Threads(Threads.MAX)
public class ParallelLeakDetection extends LeakDetectionCost {
}
