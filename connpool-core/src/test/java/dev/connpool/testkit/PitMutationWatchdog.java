package dev.connpool.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Ends a test that a mutant holds in a wait without costing PIT a new JVM, and keeps a JVM a failed
 * test left threads in from judging the next mutant. Registered beside {@link PitDiscoveryDryRun} (core's
 * test resources, read only with JUnit's extension autodetection on, which only the {@code mutation}
 * profile turns on for PIT's minions); it does nothing outside PIT.
 *
 * <p>PIT gives a test {@code 1.25 × its normal time + 2 s} against a mutant and then ends the whole
 * minion JVM: the mutant counts as timed out, and the next one waits for a new JVM to start and find
 * its tests, about 2.5 s of CPU. A quarter of the engine's mutants end that way. So:
 * <ul>
 *   <li>In PIT's coverage run, where every test runs against the real code (PIT 1.30 runs each once,
 *       while finding them), each test's time
 *       (from the first {@code beforeEach} to the last {@code afterEach}) is appended to the file named
 *       by the system property {@value #TIMES}.</li>
 *   <li>Against a mutant, a test still running at {@code 3 × that time + 700 ms} is interrupted and
 *       fails: it ran far past its time, which is what PIT's timeout detects too, only later. A test
 *       waiting on something interruptible (a get, a latch, a join) ends at once and closes its pools
 *       on the way out; one that ignores interrupts still meets PIT's timeout.</li>
 *   <li>A test that failed, by the watchdog or by an assertion, and whose threads are not all gone
 *       half a second later, waits for PIT's timeout instead of returning: the mutant counts as timed
 *       out (its test failed either way) and the next mutant gets a fresh JVM, not one where a pool
 *       thread of this test could fail a {@link NoPoolThreads} check, or a spinning thread slow the
 *       next test past its time.</li>
 * </ul>
 * A test with no recorded time (its coverage run failed, or the property is not set) runs unwatched.
 */
public final class PitMutationWatchdog implements BeforeEachCallback, AfterEachCallback {

    /** The system property naming the file of test times (the profile sets it per module). */
    public static final String TIMES = "connpool.pit.times";

    private static final String COVERAGE_MINION = "org.pitest.coverage.execute.CoverageMinion";
    private static final String MUTATION_WORKER = "org.pitest.mutationtest.execute.MutationTestWorker";
    private static final long MULTIPLE = 3;
    private static final long SLACK_MILLIS = 700;
    private static final long THREADS_GRACE_NANOS = TimeUnit.MILLISECONDS.toNanos(500);
    /** Past PIT's timeout for any test the watchdog watches: a failsafe, never reached under PIT. */
    private static final long PIT_TIMEOUT_WAIT_NANOS = TimeUnit.SECONDS.toNanos(60);
    /** Threads the JDK and JUnit start on first use and keep: not a test's leftovers. */
    private static final List<String> KEPT_THREADS = List.of("ForkJoinPool", "Common-Cleaner", "process reaper",
            "Attach Listener", "Keep-Alive-Timer", "junit-jupiter-timeout-watcher", "pit-watchdog");

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(PitMutationWatchdog.class);
    private static final ScheduledThreadPoolExecutor WATCHDOG = watchdog();

    private static volatile Map<String, Long> recorded;

    private enum Phase { COVERAGE, MUTATION, NONE }

    @Override
    public void beforeEach(ExtensionContext context) {
        switch (phase()) {
            case COVERAGE -> context.getStore(NAMESPACE).put(Timing.class, new Timing(System.nanoTime()));
            case MUTATION -> {
                Long normal = recorded().get(context.getUniqueId());
                if (normal != null) {
                    Watch watch = new Watch(Thread.currentThread(), liveThreads());
                    watch.scheduled = WATCHDOG.schedule(watch::fire, MULTIPLE * normal + SLACK_MILLIS,
                            TimeUnit.MILLISECONDS);
                    context.getStore(NAMESPACE).put(Watch.class, watch);
                }
            }
            case NONE -> { }
        }
    }

    @Override
    public void afterEach(ExtensionContext context) {
        Timing timing = context.getStore(NAMESPACE).remove(Timing.class, Timing.class);
        if (timing != null) {
            record(context.getUniqueId(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - timing.start));
        }
        Watch watch = context.getStore(NAMESPACE).remove(Watch.class, Watch.class);
        if (watch == null) {
            return;
        }
        boolean fired = watch.finish();
        if (fired || context.getExecutionException().isPresent()) {
            awaitThreadsGoneOrPitTimeout(watch.before);
        }
        if (fired) {
            throw new AssertionError("still running at " + MULTIPLE + " times its normal time + " + SLACK_MILLIS
                    + " ms: interrupted by " + PitMutationWatchdog.class.getSimpleName());
        }
    }

    /** Waits up to the grace for the threads this test started to end; if some are left, for PIT's timeout. */
    private static void awaitThreadsGoneOrPitTimeout(Set<Thread> before) {
        long graceEnd = System.nanoTime() + THREADS_GRACE_NANOS;
        while (!leftBehind(before).isEmpty()) {
            if (System.nanoTime() - graceEnd > 0) {
                String left = leftBehind(before).stream().map(Thread::getName).sorted().collect(Collectors.joining(", "));
                System.err.println(PitMutationWatchdog.class.getSimpleName() + ": a failed test left " + left
                        + " running; waiting for PIT's timeout to start a new JVM");
                long end = System.nanoTime() + PIT_TIMEOUT_WAIT_NANOS;
                while (System.nanoTime() - end < 0) {
                    LockSupport.parkNanos(end - System.nanoTime());
                }
                throw new AssertionError("PIT's timeout did not end the JVM; threads left: " + left);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
    }

    private static List<Thread> leftBehind(Set<Thread> before) {
        return liveThreads().stream()
                .filter(t -> !before.contains(t) && KEPT_THREADS.stream().noneMatch(t.getName()::startsWith))
                .toList();
    }

    private static Set<Thread> liveThreads() {
        ThreadGroup root = Thread.currentThread().getThreadGroup();
        while (root.getParent() != null) {
            root = root.getParent();
        }
        Thread[] threads = new Thread[root.activeCount() + 16];
        int n;
        while ((n = root.enumerate(threads)) == threads.length) {
            threads = new Thread[threads.length * 2];
        }
        return Arrays.stream(threads, 0, n).filter(Thread::isAlive).collect(Collectors.toSet());
    }

    private static Phase phase() {
        return StackWalker.getInstance().walk(frames -> frames
                .map(f -> f.getClassName().equals(MUTATION_WORKER) ? Phase.MUTATION
                        : f.getClassName().equals(COVERAGE_MINION) ? Phase.COVERAGE : Phase.NONE)
                .filter(p -> p != Phase.NONE)
                .findFirst()
                .orElse(Phase.NONE));
    }

    private static synchronized void record(String test, long millis) {
        String file = System.getProperty(TIMES);
        if (file == null) {
            return;
        }
        try {
            Files.writeString(Path.of(file), test + '\t' + millis + '\n', StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The recorded times, read once per JVM; a test recorded twice keeps its last time. */
    private static Map<String, Long> recorded() {
        Map<String, Long> times = recorded;
        if (times == null) {
            times = new HashMap<>();
            String file = System.getProperty(TIMES);
            try {
                if (file != null && Files.exists(Path.of(file))) {
                    for (String line : Files.readAllLines(Path.of(file), StandardCharsets.UTF_8)) {
                        int tab = line.lastIndexOf('\t');
                        if (tab > 0) {
                            times.put(line.substring(0, tab), Long.parseLong(line.substring(tab + 1)));
                        }
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            recorded = times;
        }
        return times;
    }

    private static ScheduledThreadPoolExecutor watchdog() {
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "pit-watchdog");
            t.setDaemon(true);
            return t;
        });
        executor.setRemoveOnCancelPolicy(true);
        executor.prestartAllCoreThreads();
        return executor;
    }

    private record Timing(long start) {
    }

    /** One watched test: interrupted once if still running at its limit. */
    private static final class Watch {
        private final Thread test;
        private final Set<Thread> before;
        private ScheduledFuture<?> scheduled;
        private boolean done;
        private boolean fired;

        Watch(Thread test, Set<Thread> before) {
            this.test = test;
            this.before = before;
        }

        synchronized void fire() {
            if (!done) {
                fired = true;
                test.interrupt();
            }
        }

        /** Ends the watch; returns whether it fired, with the interrupt it left cleared. */
        boolean finish() {
            boolean wasFired;
            synchronized (this) {
                done = true;
                wasFired = fired;
            }
            scheduled.cancel(false);
            if (wasFired) {
                Thread.interrupted();
            }
            return wasFired;
        }
    }
}
