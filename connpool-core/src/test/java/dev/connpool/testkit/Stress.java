package dev.connpool.testkit;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;

/**
 * Marks a stress or long-running test (load from many threads, races repeated many times, real-time
 * waits of seconds): it runs with the rest of the suite, but the mutation run leaves it out (tag
 * {@value #TAG}, the {@code mutation} profile's {@code excludedGroups} in the root pom), since PIT runs every
 * covering test again for each mutant that survives.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Tag(Stress.TAG)
public @interface Stress {

    /** The JUnit tag. */
    String TAG = "stress";
}
