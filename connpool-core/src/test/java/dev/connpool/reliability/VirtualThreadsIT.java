package dev.connpool.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.connpool.AcquireTimeoutException;
import dev.connpool.ConnPool;
import dev.connpool.ConnPoolConfig;
import dev.connpool.ConnectionFactory;
import dev.connpool.HealthCheck;
import dev.connpool.PoolStats;
import dev.connpool.PooledConnection;
import dev.connpool.testkit.Echo;
import dev.connpool.testkit.NoPoolThreads;
import dev.connpool.testkit.RequiresJdk;
import dev.connpool.testkit.TestServer;
import dev.connpool.testkit.Threads;
import dev.connpool.testkit.VirtualThreads;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Collectors;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * 10,000 virtual threads share a pool of 8 (JDK 21+; skipped on 17). Every one is served or times
 * out by its deadline, none hangs, and a JFR recording of the run, with
 * {@code jdk.VirtualThreadPinned} at threshold 0, shows no virtual thread pinned in the pool's
 * code. The sources are compiled for Java 17, so the virtual-thread executor is looked up
 * reflectively.
 */
@Timeout(180)
@ExtendWith(NoPoolThreads.class)
@RequiresJdk(min = 21, why = "virtual threads need JDK 21 or later; CI runs this suite on JDK 25")
class VirtualThreadsIT {

    private static final int THREADS = 10_000;
    /**
     * How late a 2 ms get may time out: 10,000 virtual threads share 2 carriers, and a loaded CI
     * machine (load 27) made one 4.2 s late; one that ignored its deadline would wait for a
     * connection behind thousands of others.
     */
    private static final Duration SLACK = Duration.ofSeconds(10);

    @Test
    void tenThousandVirtualThreadsShareAPoolOfEight() throws Throwable {
        ExecutorService virtualThreads = (ExecutorService) MethodHandles.publicLookup()
                .findStatic(Executors.class, "newVirtualThreadPerTaskExecutor",
                        MethodType.methodType(ExecutorService.class))
                .invoke();
        Path jfr = Files.createTempFile("connpool-virtual-threads", ".jfr");
        try (TestServer backend = TestServer.echo(); Recording recording = new Recording()) {
            recording.enable("jdk.VirtualThreadPinned").withThreshold(Duration.ZERO).withStackTrace();
            recording.enable("jdk.VirtualThreadEnd"); // shows the recording saw the virtual threads

            ConnPoolConfig config = ConnPoolConfig.builder().minSize(8).maxSize(8)
                    .healthCheck(HealthCheck.liveness()).evictInterval(Duration.ofMillis(200)).build();
            Map<String, LongAdder> outcomes = new ConcurrentHashMap<>();
            AtomicLong worstOverrunMillis = new AtomicLong(Long.MIN_VALUE);
            try (ConnPool pool = ConnPool.create("virtual", config,
                    ConnectionFactory.tcp(backend.host(), backend.port(), Duration.ofSeconds(5)))) {
                // Load the classes of the get, release and timeout paths first. A virtual thread that
                // waits for another one to load a class is pinned while it waits (class loading runs
                // under a native frame of the VM), so 10,000 threads reaching a class's first use at
                // once would record pins at the pool's call sites that say nothing about how the pool
                // blocks. (The pool could avoid even those by loading its classes in create(); see
                // docs/reliability.md.)
                warmUp(pool);
                long successesBefore = pool.stats().successes();
                recording.start();
                for (int i = 0; i < THREADS; i++) {
                    // most wait as long as it takes; one in ten is in a hurry and may time out
                    Duration timeout = i % 10 == 0 ? Duration.ofMillis(2) : Duration.ofSeconds(60);
                    virtualThreads.execute(() -> {
                        long t0 = System.nanoTime();
                        String outcome;
                        try (PooledConnection c = pool.get(timeout)) {
                            Echo.roundTrip(c);
                            outcome = "served";
                        } catch (AcquireTimeoutException e) {
                            outcome = "timed out";
                        } catch (Throwable t) {
                            outcome = t.toString();
                        }
                        long overrun = (System.nanoTime() - t0) / 1_000_000 - timeout.toMillis();
                        if (!"served".equals(outcome)) {
                            worstOverrunMillis.accumulateAndGet(overrun, Math::max);
                        }
                        outcomes.computeIfAbsent(outcome, k -> new LongAdder()).increment();
                    });
                }
                virtualThreads.shutdown();
                assertThat(virtualThreads.awaitTermination(120, TimeUnit.SECONDS))
                        .as("every virtual thread ended (no deadlock): %s", outcomes).isTrue();

                Map<String, Long> counts = outcomes.entrySet().stream()
                        .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().sum()));
                assertThat(counts.keySet()).as("only served or timed out: %s", counts)
                        .isSubsetOf("served", "timed out");
                assertThat(counts.values().stream().mapToLong(Long::longValue).sum()).isEqualTo(THREADS);
                assertThat(counts.getOrDefault("served", 0L)).as("%s", counts)
                        .isGreaterThanOrEqualTo(THREADS * 9 / 10);
                if (counts.containsKey("timed out")) {
                    assertThat(worstOverrunMillis.get()).as("a timeout comes by its deadline")
                            .isLessThan(SLACK.toMillis());
                }
                PoolStats s = pool.stats();
                assertThat(s.size()).isEqualTo(8);
                assertThat(s.created()).as("the 8 connections served everyone: %s", s).isEqualTo(8);
                assertThat(s.successes() - successesBefore).isEqualTo(counts.getOrDefault("served", 0L));
                assertThat(backend.maxOpen()).isEqualTo(8);
            }
            backend.awaitOpen(0, Duration.ofSeconds(5));

            recording.stop();
            recording.dump(jfr);
            List<String> pinnedInPool = new ArrayList<>();
            long pinned = 0;
            long ended = 0;
            for (RecordedEvent e : RecordingFile.readAllEvents(jfr)) {
                String name = e.getEventType().getName();
                if (name.equals("jdk.VirtualThreadEnd")) {
                    ended++;
                } else if (name.equals("jdk.VirtualThreadPinned")) {
                    pinned++;
                    System.out.println(e.getStackTrace() == null ? "pinned, no stack" : e.getStackTrace().getFrames()
                            .stream().limit(8).map(VirtualThreadsIT::frame)
                            .collect(Collectors.joining("\n    ", "pinned (" + e.getDuration().toNanos() / 1000
                                    + " us) at\n    ", "")));
                    if (e.getStackTrace() != null && e.getStackTrace().getFrames().stream()
                            .anyMatch(VirtualThreadsIT::inPool)) {
                        pinnedInPool.add(e.getStackTrace().getFrames().stream()
                                .map(VirtualThreadsIT::frame).collect(Collectors.joining("\n    ", "pinned at\n    ", "")));
                    }
                }
            }
            System.out.printf("JFR: %d virtual threads ended, %d pinned events, %d in the pool%n", ended, pinned,
                    pinnedInPool.size());
            assertThat(ended).as("the recording saw the virtual threads").isGreaterThanOrEqualTo(THREADS);
            assertThat(pinnedInPool).as("virtual threads pinned by the pool").isEmpty();
        } finally {
            Files.deleteIfExists(jfr);
        }
    }

    private static void warmUp(ConnPool pool) throws Exception {
        List<PooledConnection> all = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            all.add(pool.get(Duration.ofSeconds(5)));
        }
        Echo.roundTrip(all.get(0));
        // a get that waits long enough to park, on a virtual thread: the timeout path is loaded too,
        // the wait's park included (a 1 ms get could time out while still spinning), and so are the
        // JDK's classes for a virtual thread's timed park
        Thread waiter = VirtualThreads.factory().newThread(() -> {
            try (PooledConnection none = pool.get(Duration.ofMillis(50))) {
                throw new AssertionError("a ninth connection from a pool of eight: " + none);
            } catch (AcquireTimeoutException expected) {
                // as it should
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        waiter.start();
        Threads.join(waiter, Duration.ofSeconds(10));
        all.forEach(PooledConnection::close);
    }

    /** A frame of the library itself: the test's own classes and its test kit do not count. */
    private static boolean inPool(RecordedFrame f) {
        if (f.getMethod() == null) {
            return false;
        }
        String type = f.getMethod().getType().getName();
        return type.startsWith("dev.connpool.") && !type.startsWith("dev.connpool.reliability.")
                && !type.startsWith("dev.connpool.testkit.");
    }

    private static String frame(RecordedFrame f) {
        return f.getMethod().getType().getName() + "." + f.getMethod().getName() + ":" + f.getLineNumber();
    }
}
