package dev.connpool.sample;

import dev.connpool.ConnPool;
import java.io.PrintStream;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.boot.ExitCodeGenerator;

/**
 * A command-line demo ({@code --demo=...}): runs once the app has started, prints what it does and
 * the pools' statistics, and exits with 1 if any request failed.
 */
public abstract class Demo implements ApplicationRunner, ExitCodeGenerator {

    private int failures;

    @Override
    public final void run(ApplicationArguments args) {
        run(System.out);
    }

    /**
     * Runs the demo.
     *
     * @param out where it prints
     */
    protected abstract void run(PrintStream out);

    /** Counts a failed request: the demo then exits with 1. */
    protected final void failed() {
        failures++;
    }

    /**
     * Prints a pool's statistics, as the original examples did at the end.
     *
     * @param out where to print
     * @param pool the pool
     */
    protected static void printStats(PrintStream out, ConnPool pool) {
        out.println("pool " + pool.name() + ": " + pool.stats());
    }

    @Override
    public final int getExitCode() {
        return failures == 0 ? 0 : 1;
    }
}
