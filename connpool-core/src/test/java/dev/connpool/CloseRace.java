package dev.connpool;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * DESIGN §5 invariant 5 for the operator's controls: {@code close()} racing a control while callers
 * loop on the pool. Twenty rounds, each on a new pool: three callers get, write a byte and return
 * until the pool closes under them, retrying only the failures the scenario expects (a timeout while
 * suspended, say); beside them, the control runs again and again for 5 ms times the round (so the
 * close lands at a different point each round), then the pool is closed, and the control runs once
 * more on the closed pool, where it must throw nothing. Every round ends with nothing open, nothing
 * connecting, and the close reasons adding up.
 */
final class CloseRace {

    /** Makes the pool of a round. */
    interface Pools {
        ConnPool create(String name) throws Exception;
    }

    /** One turn of the control under test. */
    interface Control {
        void act(ConnPool pool) throws Exception;
    }

    private CloseRace() {
    }

    @SafeVarargs
    static void run(String name, Pools pools, Duration getTimeout, Control control,
            Class<? extends IOException>... retried) throws Exception {
        List<Class<? extends IOException>> expected = List.of(retried);
        for (int round = 0; round < 20; round++) {
            ConnPool pool = pools.create(name + "-" + round);
            long raceNanos = TimeUnit.MILLISECONDS.toNanos(round * 5L);
            InvariantsTest.onThreads(3, Duration.ofSeconds(20), () -> {
                try {
                    for (;;) {
                        try (PooledConnection c = pool.get(getTimeout)) {
                            c.getOutputStream().write(1);
                        } catch (PoolClosedException closed) {
                            throw closed;
                        } catch (IOException e) {
                            if (expected.stream().noneMatch(t -> t.isInstance(e))) {
                                throw e;
                            }
                            Thread.onSpinWait();
                        }
                    }
                } catch (PoolClosedException expectedWayOut) {
                    // the only way out
                }
            }, () -> {
                long until = System.nanoTime() + raceNanos;
                while (System.nanoTime() - until < 0) {
                    control.act(pool);
                }
                pool.close();
                control.act(pool);
            });
            PoolStats s = pool.stats();
            assertThat(s.size()).as("%s", s).isZero();
            assertThat(s.connecting()).as("%s", s).isZero();
            assertThat(s.closed()).as("%s", s).isEqualTo(s.created());
        }
    }
}
