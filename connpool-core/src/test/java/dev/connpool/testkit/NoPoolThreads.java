package dev.connpool.testkit;

import java.util.stream.Collectors;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * After each test, checks that no thread of any pool is left: every pool a test made must be
 * closed by its end, and closing must join the pool's threads. Register with
 * {@code @ExtendWith(NoPoolThreads.class)}.
 */
public final class NoPoolThreads implements AfterEachCallback {

    @Override
    public void afterEach(ExtensionContext context) {
        // close() joins every thread it stops, so nothing may be left at all
        String left = poolThreads();
        if (!left.isEmpty()) {
            throw new AssertionError("pool threads left behind: " + left);
        }
    }

    public static String poolThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().startsWith("connpool-"))
                .map(Thread::getName)
                .sorted()
                .collect(Collectors.joining(", "));
    }
}
