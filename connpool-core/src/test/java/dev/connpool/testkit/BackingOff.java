package dev.connpool.testkit;

import dev.connpool.ConnPool;
import dev.connpool.ConnectFailedException;
import java.io.IOException;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Drives a pool whose connects are refused into its connect backoff, for tests of a waiting probe. */
public final class BackingOff {

    /** How long a refusal while backing off says the probe waits: "the next attempt in N ms". */
    private static final Pattern RETRY_IN = Pattern.compile("the next attempt in (\\d+) ms");

    private BackingOff() {
    }

    /**
     * Makes zero-timeout gets, each refused, until a probe waits out a delay with more than
     * {@code leftMillis} of it left, as the latest refusal says (1.2 s takes five failures, about
     * 1.5 s: the delays double from 100 ms).
     */
    public static void untilAProbeWaits(ConnPool pool, long leftMillis, Duration timeout) {
        long[] retryInMillis = {0};
        Await.until(() -> {
            try {
                pool.get(Duration.ZERO).close();
            } catch (ConnectFailedException refused) {
                Matcher m = RETRY_IN.matcher(String.valueOf(refused.getMessage()));
                retryInMillis[0] = m.find() ? Long.parseLong(m.group(1)) : 0;
            } catch (IOException expected) {
                retryInMillis[0] = 0; // no connection at once
            }
            return retryInMillis[0] > leftMillis && pool.stats().connecting() == 1;
        }, timeout, () -> "a probe waiting over " + leftMillis + " ms: " + pool.stats());
    }
}
