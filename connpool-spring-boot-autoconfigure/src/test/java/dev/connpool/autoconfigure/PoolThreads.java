package dev.connpool.autoconfigure;

import dev.connpool.testkit.Await;
import java.time.Duration;
import java.util.stream.Collectors;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * After each test, waits (boundedly) until no connpool thread is left: every context a test made
 * must be closed by its end, and closing it must close its pools and stop their threads, health
 * probes included. Register with {@code @ExtendWith(PoolThreads.class)}.
 */
public final class PoolThreads implements AfterEachCallback {

    @Override
    public void afterEach(ExtensionContext context) {
        awaitNone(Duration.ofSeconds(5));
    }

    /** Waits until no thread whose name starts with {@code connpool-} is alive. */
    public static void awaitNone(Duration timeout) {
        Await.until(() -> names().isEmpty(), timeout, () -> "connpool threads left behind: " + names());
    }

    /**
     * Waits until no pool runs a thread of its own: only the JVM-wide {@code connpool-clock}, which
     * holds no socket and belongs to no pool, may be left (what a suspended pool leaves).
     */
    public static void awaitOnlyTheSharedClock(Duration timeout) {
        Await.until(() -> Thread.getAllStackTraces().keySet().stream()
                        .filter(t -> t.isAlive() && t.getName().startsWith("connpool-"))
                        .allMatch(t -> t.getName().equals("connpool-clock")),
                timeout, () -> "pool threads left: " + names());
    }

    static String names() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().startsWith("connpool-"))
                .map(Thread::getName)
                .sorted()
                .collect(Collectors.joining(", "));
    }
}
