package dev.connpool.benchmarks.report;

import java.util.Map;

/**
 * One JMH result: a benchmark method of a scenario class, in one mode.
 *
 * @param scenario the benchmark class's simple name, e.g. {@code Sequential}
 * @param pool the method name, e.g. {@code connpool}
 * @param mode JMH's mode: {@code avgt}, {@code sample} or {@code thrpt}
 * @param threads threads that ran it
 * @param score the score: nanoseconds per operation, or in {@code thrpt} mode operations per millisecond
 * @param error the 99.9% confidence half-width in the score's unit, NaN when too few iterations to tell
 * @param bytesPerOp bytes allocated per operation (-prof gc), NaN if not profiled
 * @param percentiles SampleTime percentiles ("50.0", "99.0", ...) in ns; empty in other modes
 */
record Result(String scenario, String pool, String mode, int threads, double score, double error,
              double bytesPerOp, Map<String, Double> percentiles) {

    /**
     * A percentile of a SampleTime result.
     *
     * @param p as JMH names it: "50.0", "99.0", "99.9"
     * @return the value in ns, or NaN
     */
    double percentile(String p) {
        Double v = percentiles.get(p);
        return v == null ? Double.NaN : v;
    }
}
