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

    static String names() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().startsWith("connpool-"))
                .map(Thread::getName)
                .sorted()
                .collect(Collectors.joining(", "));
    }
}
