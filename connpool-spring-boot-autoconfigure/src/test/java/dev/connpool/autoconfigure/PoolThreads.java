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
     * Waits until the only connpool threads alive are pools' housekeepers, and each is parked: what a
     * suspended pool with no connection keeps (the engine stops a pool's housekeeper only when it
     * closes). No connector thread, nothing running.
     */
    public static void awaitOnlyParkedHousekeepers(Duration timeout) {
        Await.until(() -> Thread.getAllStackTraces().keySet().stream()
                        .filter(t -> t.isAlive() && t.getName().startsWith("connpool-"))
                        .allMatch(t -> t.getName().endsWith("-housekeeper")
                                && (t.getState() == Thread.State.WAITING || t.getState() == Thread.State.TIMED_WAITING)),
                timeout, () -> "connpool threads other than parked housekeepers: " + names());
    }

    static String names() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().startsWith("connpool-"))
                .map(Thread::getName)
                .sorted()
                .collect(Collectors.joining(", "));
    }
}
