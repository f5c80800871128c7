package dev.connpool;

import static org.assertj.core.api.Assertions.assertThat;

import dev.connpool.internal.EngineHooks;
import dev.connpool.testkit.Await;
import dev.connpool.testkit.Echo;
import dev.connpool.testkit.EchoBackendTest;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * DESIGN §7.1 {@code healthCheckAfterIdle}: the check on get runs only for a connection idle at
 * least that long, and every get that skips it counts in {@code healthChecksSkipped}; with the
 * default {@code ZERO} every get checks; the evictor checks every idle connection regardless.
 */
class HealthCheckAfterIdleTest extends EchoBackendTest {

    private static final Duration BOUND = Duration.ofSeconds(5);

    /** Liveness, counting its runs per socket. */
    private static final class CountingCheck implements HealthCheck {
        private final Map<Socket, Integer> runs = new IdentityHashMap<>();

        @Override
        public void check(Socket socket) throws java.io.IOException {
            synchronized (runs) {
                runs.merge(socket, 1, Integer::sum);
            }
            HealthCheck.liveness().check(socket);
        }

        int total() {
            synchronized (runs) {
                return runs.values().stream().mapToInt(Integer::intValue).sum();
            }
        }

        int of(Socket socket) {
            synchronized (runs) {
                return runs.getOrDefault(socket, 0);
            }
        }
    }

    private ConnPool pool(String name, Duration afterIdle, Duration evictInterval, CountingCheck check)
            throws Exception {
        return ConnPool.create(name, ConnPoolConfig.builder().maxSize(3).healthCheck(check)
                .healthCheckAfterIdle(afterIdle).evictInterval(evictInterval).build(), tcp());
    }

    private static void getUseAndReturn(ConnPool pool) throws Exception {
        try (PooledConnection c = pool.get(BOUND)) {
            Echo.roundTrip(c);
        }
    }

    @Test
    void aGetRightAfterAReturnSkipsTheCheckAndCountsIt() throws Exception {
        CountingCheck check = new CountingCheck();
        try (ConnPool pool = pool("after-idle-skip", Duration.ofSeconds(10), Duration.ZERO, check)) {
            getUseAndReturn(pool); // a new connection, idle from now on
            int checksBefore = check.total();
            long skippedBefore = pool.stats().healthChecksSkipped();
            for (int i = 0; i < 5; i++) {
                getUseAndReturn(pool);
            }
            PoolStats s = pool.stats();
            assertThat(check.total()).as("checks run on gets within the window: %s", s).isEqualTo(checksBefore);
            assertThat(s.healthChecksSkipped() - skippedBefore).as("%s", s).isEqualTo(5);
            assertThat(s.successes()).as("%s", s).isEqualTo(6);
            assertThat(s.created()).as("%s", s).isEqualTo(1);
        }
    }

    @Test
    void withTheDefaultWindowEveryGetChecks() throws Exception {
        CountingCheck check = new CountingCheck();
        ConnPoolConfig defaults = ConnPoolConfig.builder().maxSize(1).build();
        assertThat(defaults.healthCheckAfterIdle()).isEqualTo(Duration.ZERO);
        try (ConnPool pool = pool("after-idle-zero", Duration.ZERO, Duration.ZERO, check)) {
            getUseAndReturn(pool);
            int checksBefore = check.total();
            for (int i = 0; i < 5; i++) {
                getUseAndReturn(pool);
            }
            PoolStats s = pool.stats();
            assertThat(check.total() - checksBefore).as("%s", s).isEqualTo(5);
            assertThat(s.healthChecksSkipped()).as("%s", s).isZero();
        }
    }

    @Test
    void aConnectionIdleLongerThanTheWindowIsChecked() throws Exception {
        Duration window = Duration.ofSeconds(10);
        CountingCheck check = new CountingCheck();
        try (ConnPool pool = pool("after-idle-long", window, Duration.ZERO, check)) {
            getUseAndReturn(pool);
            for (int round = 0; round < 3; round++) {
                // idle just under the window (on the engine's clock): skipped
                EngineHooks.advanceClock(window.minusSeconds(1));
                int checksBefore = check.total();
                long skippedBefore = pool.stats().healthChecksSkipped();
                getUseAndReturn(pool);
                assertThat(check.total() - checksBefore).as("idle within the window: not checked").isZero();
                assertThat(pool.stats().healthChecksSkipped()).isEqualTo(skippedBefore + 1);
                // returned just now, then idle past the window: checked
                EngineHooks.advanceClock(window.plusSeconds(1));
                checksBefore = check.total();
                skippedBefore = pool.stats().healthChecksSkipped();
                getUseAndReturn(pool);
                assertThat(check.total() - checksBefore).as("idle past the window: checked").isEqualTo(1);
                assertThat(pool.stats().healthChecksSkipped()).isEqualTo(skippedBefore);
                // and just returned: within the window again
                getUseAndReturn(pool);
                assertThat(pool.stats().healthChecksSkipped()).isEqualTo(skippedBefore + 1);
            }
            assertThat(pool.stats().created()).isEqualTo(1);
        }
    }

    @Test
    void theEvictorChecksEveryIdleConnectionWhateverTheWindow() throws Exception {
        CountingCheck check = new CountingCheck();
        try (ConnPool pool = pool("after-idle-evictor", Duration.ofSeconds(10), Duration.ofMillis(20), check)) {
            List<PooledConnection> three = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                three.add(pool.get(BOUND));
            }
            List<Socket> sockets = new ArrayList<>();
            for (PooledConnection c : three) {
                sockets.add(c.socket());
                c.close();
            }
            // no get from here on: every check is the evictor's, on connections idle well under 10 s
            Await.until(() -> sockets.stream().allMatch(s -> check.of(s) >= 2), BOUND,
                    () -> "the evictor did not check every idle connection twice: "
                            + sockets.stream().map(check::of).toList());
            assertThat(pool.stats().pingFailed()).isZero();
            assertThat(pool.stats().available()).isEqualTo(3);
        }
    }
}
