package dev.connpool.testkit;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.lang.reflect.AnnotatedElement;
import java.util.Optional;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.LifecycleMethodExecutionExceptionHandler;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;
import org.junit.platform.commons.support.AnnotationSupport;
import org.opentest4j.TestAbortedException;

/**
 * A suite that runs on some JDKs only. On the others it is skipped with {@link #why()}; CI runs two
 * JDKs (17 and 25), so each such suite must run on one of them. On a JDK it needs, under
 * {@code CI=true}, it may not skip at all: an assumption that fails (in the suite, the test kit or a
 * library) fails the test instead, so a CI run cannot pass by silently skipping the suite.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
@ExtendWith(RequiresJdk.Guard.class)
public @interface RequiresJdk {

    /** The lowest feature release the suite runs on. */
    int min() default 17;

    /** The highest feature release the suite runs on. */
    int max() default Integer.MAX_VALUE;

    /** Why the suite does not run elsewhere, shown as the reason it was skipped. */
    String why();

    /** Skips outside the range; fails any other skip under {@code CI=true}. */
    final class Guard implements ExecutionCondition, TestExecutionExceptionHandler,
            LifecycleMethodExecutionExceptionHandler {

        @Override
        public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
            Optional<RequiresJdk> range = range(context);
            if (range.isEmpty()) {
                return ConditionEvaluationResult.enabled("no JDK range");
            }
            int feature = Runtime.version().feature();
            RequiresJdk r = range.get();
            return feature >= r.min() && feature <= r.max()
                    ? ConditionEvaluationResult.enabled("JDK " + feature + " is one this suite needs")
                    : ConditionEvaluationResult.disabled("JDK " + feature + ": " + r.why());
        }

        @Override
        public void handleTestExecutionException(ExtensionContext context, Throwable thrown) throws Throwable {
            throw failOnCi(thrown);
        }

        @Override
        public void handleBeforeAllMethodExecutionException(ExtensionContext context, Throwable thrown)
                throws Throwable {
            throw failOnCi(thrown);
        }

        @Override
        public void handleBeforeEachMethodExecutionException(ExtensionContext context, Throwable thrown)
                throws Throwable {
            throw failOnCi(thrown);
        }

        /** What a skip becomes under CI=true: a failure that names it. */
        static Throwable failOnCi(Throwable thrown) {
            if (thrown instanceof TestAbortedException && onCi()) {
                return new AssertionError("CI=true on JDK " + Runtime.version().feature()
                        + ", which this suite needs: it must run, not skip (" + thrown.getMessage() + ")", thrown);
            }
            return thrown;
        }

        /** Whether this is a CI run ({@code CI=true}), where nothing a JDK can run may be skipped. */
        public static boolean onCi() {
            return "true".equalsIgnoreCase(System.getenv("CI"));
        }

        private static Optional<RequiresJdk> range(ExtensionContext context) {
            Optional<AnnotatedElement> element = context.getTestClass().map(c -> c);
            return element.flatMap(e -> AnnotationSupport.findAnnotation(e, RequiresJdk.class));
        }
    }
}
