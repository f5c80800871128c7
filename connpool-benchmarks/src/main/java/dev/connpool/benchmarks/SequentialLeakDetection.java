package dev.connpool.benchmarks;

import org.openjdk.jmh.annotations.Threads;

/** {@link Sequential} with leak detection on (threshold a minute): see {@link LeakDetectionCost}. */
@PoolShape(minSize = 5, maxSize = 10, leakDetectionMillis = LeakDetectionCost.THRESHOLD_MILLIS)
@Threads(1)
public class SequentialLeakDetection extends LeakDetectionCost {
}
