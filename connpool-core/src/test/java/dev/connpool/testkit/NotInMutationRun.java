package dev.connpool.testkit;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;

/**
 * Marks a test that waits real time (a backoff delay, a grace period, a timeout that must run out)
 * for about half a second or more and that, in a full mutation run, was the first to fail no mutant:
 * PIT runs a mutant's covering tests fastest first, so every mutant it would fail was failed first by
 * a faster test, and against each mutant that survives it only adds its wait. The mutation run leaves
 * it out (tag {@value #TAG}, the {@code mutation} profile's {@code excludedGroups} in the root pom); it
 * runs with the rest of the suite. A test that is the only one to catch a mutant must not carry it.
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@Tag(NotInMutationRun.TAG)
public @interface NotInMutationRun {

    /** The JUnit tag. */
    String TAG = "not-in-mutation-run";

    /** What it waits for, and the run in which it failed no mutant first. */
    String value();
}
