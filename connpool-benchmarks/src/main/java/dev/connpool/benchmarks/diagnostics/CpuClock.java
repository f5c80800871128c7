package dev.connpool.benchmarks.diagnostics;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/**
 * Times a loop by the calling thread's CPU time as well as by the wall clock: CPU time leaves out
 * the time the thread was runnable but not running, so it holds still on a busy machine where
 * JMH's wall-clock averages do not.
 */
final class CpuClock {

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    /** One timed loop body. */
    interface Body {
        void run(int n) throws Exception;
    }

    private CpuClock() {
    }

    /**
     * Runs the body {@code rounds} times over {@code n} operations and prints the best round's CPU
     * and wall time per operation, after a third of the rounds as warm-up.
     *
     * @param label what is measured
     * @param n operations per round
     * @param rounds rounds, at least 3
     * @param body the loop
     * @throws Exception whatever the body throws
     */
    static void measure(String label, int n, int rounds, Body body) throws Exception {
        double cpu = Double.MAX_VALUE;
        double wall = Double.MAX_VALUE;
        for (int r = 0; r < rounds; r++) {
            long w0 = System.nanoTime();
            long c0 = THREADS.getCurrentThreadCpuTime();
            body.run(n);
            long c1 = THREADS.getCurrentThreadCpuTime();
            long w1 = System.nanoTime();
            if (r >= rounds / 3) {
                cpu = Math.min(cpu, (c1 - c0) / (double) n);
                wall = Math.min(wall, (w1 - w0) / (double) n);
            }
        }
        System.out.printf("%-58s CPU %,10.1f ns/op   wall %,10.1f ns/op%n", label, cpu, wall);
    }
}
