package dev.connpool.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.connpool.soak.Soak;
import dev.connpool.testkit.NoPoolThreads;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Twenty seconds of the soak ({@link Soak}, see docs/reliability.md): mixed load on three pools
 * behind a fault proxy that resets, half-closes, blackholes, slows, refuses and restarts, one pool
 * closed under its users every five seconds; every invariant checked every 100 ms, and a leak check
 * at the end. The long runs are {@code scripts/soak.sh}; this keeps the same code honest in CI.
 * The fault schedule's seed is printed, to replay a failure with {@code scripts/soak.sh 0.34 SEED}.
 */
@Timeout(120)
@ExtendWith(NoPoolThreads.class)
class ShortSoakIT {

    @Test
    void twentySecondsOfFaultsUnderLoadBreakNoInvariantAndLeakNothing() throws Exception {
        assertThat(Soak.run(20 / 60.0, System.nanoTime())).as("soak result (see the test output)").isTrue();
    }
}
