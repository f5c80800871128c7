package dev.connpool.sample.support;

import dev.connpool.testkit.Await;
import java.time.Duration;
import java.util.stream.Collectors;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Checks that the application a test ran was closed with everything it started: no pool thread
 * ({@code connpool-*}) and no embedded backend thread ({@code sample-backend-*}) left. Register it
 * with {@code @ExtendWith} <em>before</em> {@code @SpringBootTest}, so that its after-all runs after
 * the test context (with {@code @DirtiesContext}) was closed; for in-process runs without a test
 * context it checks after each test.
 */
public final class NothingLeftBehind implements AfterAllCallback, AfterEachCallback {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @Override
    public void afterEach(ExtensionContext context) {
        if (context.getRequiredTestClass().isAnnotationPresent(PerTest.class)) {
            awaitNone();
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        awaitNone();
    }

    /** Waits, boundedly, until no thread of a pool or an embedded backend is alive. */
    public static void awaitNone() {
        Await.until(() -> threads().isEmpty(), WAIT, () -> "threads left behind: " + threads());
    }

    public static String threads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(Thread::isAlive)
                .map(Thread::getName)
                .filter(n -> n.startsWith("connpool-") || n.startsWith("sample-backend-"))
                .sorted()
                .collect(Collectors.joining(", "));
    }

    /** Marks a test class whose tests each start and close their own application. */
    @java.lang.annotation.Retention(java.lang.annotation.RetentionPolicy.RUNTIME)
    @java.lang.annotation.Target(java.lang.annotation.ElementType.TYPE)
    public @interface PerTest {
    }
}
