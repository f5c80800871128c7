package dev.connpool.testkit;

import java.time.Duration;
import java.util.stream.Collectors;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * After each test, checks that no thread of any pool ({@code connpool-*}) is left: every pool a
 * test made must be closed by its end. Register with {@code @ExtendWith(NoPoolThreads.class)}: then
 * nothing may be left at all, since {@code ConnPool.close()} joins every thread it stops. Spring
 * tests register {@link AfterProbes} instead.
 */
public class NoPoolThreads implements AfterEachCallback {

    private final Duration grace;

    public NoPoolThreads() {
        this(Duration.ZERO);
    }

    private NoPoolThreads(Duration grace) {
        this.grace = grace;
    }

    /**
     * The check for Spring contexts: a health probe runs on a thread of its own that closing the
     * context does not join (a slow probe finishes in the background, bounded by its probe
     * timeout), so this one waits up to 5 s for the threads to end.
     */
    public static final class AfterProbes extends NoPoolThreads {
        public AfterProbes() {
            super(Duration.ofSeconds(5));
        }
    }

    @Override
    public void afterEach(ExtensionContext context) {
        awaitNone(grace);
    }

    /** Waits until no pool thread is alive; with a zero timeout, checks once. */
    public static void awaitNone(Duration timeout) {
        Await.until(() -> poolThreads().isEmpty(), timeout, () -> "pool threads left behind: " + poolThreads());
    }

    /** The names of the live pool threads, sorted, comma-separated; empty if none. */
    public static String poolThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().startsWith("connpool-"))
                .map(Thread::getName)
                .sorted()
                .collect(Collectors.joining(", "));
    }
}
