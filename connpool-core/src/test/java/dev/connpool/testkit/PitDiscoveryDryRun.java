package dev.connpool.testkit;

import java.lang.reflect.Method;
import org.junit.jupiter.api.extension.DynamicTestInvocationContext;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.InvocationInterceptor;
import org.junit.jupiter.api.extension.ReflectiveInvocationContext;

/**
 * Makes PIT's test discovery a dry run: in the mutation run only, skips the body of every test and
 * lifecycle method while a mutation minion is finding its tests, so that the minion reports each
 * test without running it.
 *
 * <p>Why: pitest-junit5-plugin finds a class's tests by <em>executing</em> the class and recording
 * what starts. Every mutation minion does that for every test class when it starts, and PIT
 * starts a new minion after each mutant that times out, so a run of the engine executed the whole
 * core suite a few hundred times before it ran one test against a mutant (most of an hour of a
 * 2-core machine). Skipping the bodies keeps what discovery needs (the test identifiers,
 * parameterized and repeated invocations included: their arguments are still computed) and drops
 * the cost. The coverage minion, whose discovery records which test covers which line, is left
 * alone, and so is every test PIT runs against a mutant: both run in full.
 *
 * <p>Registered through {@code META-INF/services/org.junit.jupiter.api.extension.Extension}, which
 * JUnit reads only with {@code junit.jupiter.extensions.autodetection.enabled=true}: the
 * {@code mutation} profile passes that to PIT's minions and nothing else does, so the normal suite
 * never loads this class.
 */
public final class PitDiscoveryDryRun implements InvocationInterceptor {

    /** Where a mutation minion finds its tests: PIT 1.30's {@code MutationTestMinion}. */
    private static final String MINION = "org.pitest.mutationtest.execute.MutationTestMinion";
    private static final String FINDING = "findTestsForTestClasses";

    /** Whether the calling thread is a mutation minion finding its tests (not running them). */
    static boolean discovering() {
        return StackWalker.getInstance().walk(frames -> frames.anyMatch(
                f -> f.getClassName().equals(MINION) && f.getMethodName().equals(FINDING)));
    }

    private static <T> void skipOrProceed(Invocation<T> invocation) throws Throwable {
        if (discovering()) {
            invocation.skip();
        } else {
            invocation.proceed();
        }
    }

    @Override
    public void interceptTestMethod(Invocation<Void> invocation,
            ReflectiveInvocationContext<Method> invocationContext, ExtensionContext extensionContext)
            throws Throwable {
        skipOrProceed(invocation);
    }

    @Override
    public void interceptTestTemplateMethod(Invocation<Void> invocation,
            ReflectiveInvocationContext<Method> invocationContext, ExtensionContext extensionContext)
            throws Throwable {
        skipOrProceed(invocation);
    }

    @Override
    public void interceptDynamicTest(Invocation<Void> invocation,
            DynamicTestInvocationContext invocationContext, ExtensionContext extensionContext)
            throws Throwable {
        skipOrProceed(invocation);
    }

    @Override
    public void interceptBeforeAllMethod(Invocation<Void> invocation,
            ReflectiveInvocationContext<Method> invocationContext, ExtensionContext extensionContext)
            throws Throwable {
        skipOrProceed(invocation);
    }

    @Override
    public void interceptBeforeEachMethod(Invocation<Void> invocation,
            ReflectiveInvocationContext<Method> invocationContext, ExtensionContext extensionContext)
            throws Throwable {
        skipOrProceed(invocation);
    }

    @Override
    public void interceptAfterEachMethod(Invocation<Void> invocation,
            ReflectiveInvocationContext<Method> invocationContext, ExtensionContext extensionContext)
            throws Throwable {
        skipOrProceed(invocation);
    }

    @Override
    public void interceptAfterAllMethod(Invocation<Void> invocation,
            ReflectiveInvocationContext<Method> invocationContext, ExtensionContext extensionContext)
            throws Throwable {
        skipOrProceed(invocation);
    }
}
