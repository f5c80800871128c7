package dev.connpool.tcp;

import dev.connpool.HealthCheck;
import dev.connpool.testkit.Await;

import java.io.IOException;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs health checks with a stopwatch. A check that is meant not to wait is given a socket with a
 * long {@code SO_TIMEOUT} by the tests, so that a blocking read would show as seconds. Two bounds:
 * every run stays far below that timeout ({@link #NO_WAIT}), and the fastest of {@link #RUNS} runs
 * with the same verdict stays under {@link #BOUND} — one run alone may be preempted for longer on
 * a busy machine, all of them cannot. These say "did not wait on anything"; they are no benchmark.
 */
final class CheckTiming {

    /** The most the fastest of {@link #RUNS} runs of a liveness check may take. */
    static final Duration BOUND = Duration.ofMillis(50);

    /** The most any one run may take: a tenth of the {@code SO_TIMEOUT} the tests set. */
    static final Duration NO_WAIT = Duration.ofSeconds(1);

    /** The {@code SO_TIMEOUT} of sockets under a check that must not wait. */
    static final int LONG_SO_TIMEOUT = 10_000;

    /** Runs of a check with one verdict whose fastest is held to {@link #BOUND}. */
    static final int RUNS = 5;

    /** How long tests wait for a FIN, an RST or bytes to arrive. */
    static final Duration ARRIVAL = Duration.ofSeconds(5);

    private CheckTiming() {
    }

    /** What one run of a check did and how long it took. */
    record Outcome(IOException failure, long nanos) {

        Duration elapsed() {
            return Duration.ofNanos(nanos);
        }
    }

    /** Runs the check once. */
    static Outcome once(HealthCheck check, Socket socket) {
        long start = System.nanoTime();
        try {
            check.check(socket);
            return new Outcome(null, System.nanoTime() - start);
        } catch (IOException e) {
            return new Outcome(e, System.nanoTime() - start);
        }
    }

    /**
     * Runs the check until it fails, which it does once the FIN, RST or bytes it is to detect have
     * arrived, and returns that first failing run.
     */
    static Outcome untilFails(HealthCheck check, Socket socket) {
        Outcome[] last = new Outcome[1];
        Await.until(() -> (last[0] = once(check, socket)).failure() != null, ARRIVAL,
                () -> check + " kept passing on " + socket);
        return last[0];
    }

    /**
     * Runs a check {@link #RUNS} times more after a first run whose verdict it must repeat (a
     * connection that failed stays failed; one that passed, passes).
     *
     * @return every run, the first one first
     */
    static List<Outcome> again(HealthCheck check, Socket socket, Outcome first) {
        List<Outcome> runs = new ArrayList<>();
        runs.add(first);
        for (int i = 1; i < RUNS; i++) {
            runs.add(once(check, socket));
        }
        return runs;
    }
}
