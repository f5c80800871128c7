package dev.connpool.testkit;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.concurrent.ThreadFactory;

/**
 * Virtual threads for tests compiled for Java 17: looked up reflectively, as in
 * {@code VirtualThreadsIT}. On JDK 17 to 20 a test that needs them is skipped. On JDK 21 or later
 * they must be there: if something prevents it, the test is skipped locally but fails on CI
 * ({@code CI=true}), so a CI run on JDK 25 cannot pass by silently skipping.
 */
public final class VirtualThreads {

    private VirtualThreads() {
    }

    /** A factory of unstarted virtual threads; skips (or, on CI with JDK 21+, fails) the test without them. */
    public static ThreadFactory factory() {
        int feature = Runtime.version().feature();
        assumeTrue(feature >= 21, "virtual threads need JDK 21 or later (running " + feature + ")");
        try {
            Object builder = Thread.class.getMethod("ofVirtual").invoke(null);
            return (ThreadFactory) Class.forName("java.lang.Thread$Builder").getMethod("factory").invoke(builder);
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            if (RequiresJdk.Guard.onCi()) {
                throw new AssertionError("JDK " + feature + " must run virtual threads on CI, but: " + e, e);
            }
            assumeTrue(false, "virtual threads unavailable on JDK " + feature + ": " + e);
            throw new AssertionError("unreachable", e);
        }
    }

    /** Whether a thread is virtual (false on JDKs without virtual threads). */
    public static boolean isVirtual(Thread t) {
        try {
            return (boolean) Thread.class.getMethod("isVirtual").invoke(t);
        } catch (ReflectiveOperationException e) {
            return false;
        }
    }
}
