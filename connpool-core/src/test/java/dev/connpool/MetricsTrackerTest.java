package dev.connpool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.connpool.testkit.Await;
import dev.connpool.testkit.EchoBackendTest;
import dev.connpool.testkit.GatedFactory;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * {@code addMetricsTracker} / {@code removeMetricsTracker}, the lease's description and the pool's
 * threads as users see them.
 */
class MetricsTrackerTest extends EchoBackendTest {

    private static final Duration BOUND = Duration.ofSeconds(5);

    /** Counts the gets a tracker saw. */
    private static final class Counting implements MetricsTracker {

        final AtomicInteger acquired = new AtomicInteger();

        @Override
        public void acquired(long nanos) {
            acquired.incrementAndGet();
        }
    }

    @Test
    void aRemovedTrackerIsCalledNoMoreAndTheOthersStillAre() throws Exception {
        try (ConnPool pool = ConnPool.create("trackers", ConnPoolConfig.builder().maxSize(1).build(), tcp())) {
            Counting first = new Counting();
            Counting middle = new Counting();
            Counting last = new Counting();
            pool.addMetricsTracker(first);
            pool.addMetricsTracker(middle);
            pool.addMetricsTracker(last);
            pool.get(BOUND).close();
            assertThat(pool.removeMetricsTracker(middle)).as("registered").isTrue();
            assertThat(pool.removeMetricsTracker(middle)).as("removed already").isFalse();
            assertThat(pool.removeMetricsTracker(new Counting())).as("never added").isFalse();
            pool.get(BOUND).close();
            pool.get(BOUND).close();
            assertThat(first.acquired).hasValue(3);
            assertThat(middle.acquired).as("removed after the first get").hasValue(1);
            assertThat(last.acquired).hasValue(3);
            assertThat(pool.removeMetricsTracker(first)).isTrue();
            assertThat(pool.removeMetricsTracker(last)).isTrue();
            pool.get(BOUND).close();
            assertThat(first.acquired).hasValue(3);
            assertThat(last.acquired).hasValue(3);
        }
    }

    /** The times a tracker is given: how long the get took, then how long the lease was held. */
    @Test
    void aTrackerIsToldHowLongTheGetTookAndHowLongTheLeaseWasHeld() throws Exception {
        AtomicLong acquired = new AtomicLong(-1);
        AtomicLong released = new AtomicLong(-1);
        try (ConnPool pool = ConnPool.create("timed", ConnPoolConfig.builder().maxSize(1).build(), tcp())) {
            pool.addMetricsTracker(new MetricsTracker() {
                @Override
                public void acquired(long nanos) {
                    acquired.set(nanos);
                }

                @Override
                public void released(long nanos) {
                    released.set(nanos);
                }
            });
            long before = System.nanoTime();
            PooledConnection c = pool.get(BOUND);
            long got = System.nanoTime();
            c.close();
            long after = System.nanoTime();
            assertThat(acquired.get()).as("the get, ns").isBetween(0L, got - before);
            assertThat(released.get()).as("the lease, ns").isBetween(0L, after - before);
        }
    }

    /**
     * {@code connected(nanos)} gets the time the factory took: never negative, never more than the
     * whole {@code get} that waited for the connect (measured around it by the test).
     */
    @Test
    void connectedReportsTheTimeTheFactoryTook() throws Exception {
        try (ConnPool pool = ConnPool.create("connect-time", ConnPoolConfig.builder().maxSize(1).build(), tcp())) {
            List<Long> connects = new CopyOnWriteArrayList<>();
            pool.addMetricsTracker(new MetricsTracker() {
                @Override
                public void connected(long nanos) {
                    connects.add(nanos);
                }
            });
            long t0 = System.nanoTime();
            pool.get(BOUND).close();
            long around = System.nanoTime() - t0;
            Await.until(() -> connects.size() == 1, BOUND, () -> "connects reported: " + connects);
            assertThat(connects.get(0)).isBetween(0L, around);
        }
    }

    @Test
    void aLeaseSaysItsPoolItsSocketAndWhetherItWasReturned() throws Exception {
        try (ConnPool pool = ConnPool.create("described", ConnPoolConfig.builder().maxSize(1).build(), tcp())) {
            PooledConnection c = pool.get(BOUND);
            String socket = c.socket().toString();
            assertThat(c).hasToString("PooledConnection[pool=described, " + socket + "]");
            c.close();
            assertThat(c).hasToString("PooledConnection[pool=described, " + socket + ", returned]");
        }
    }

    /** No thread of a pool keeps the JVM alive: an application that forgets close() still exits. */
    @Test
    void thePoolsThreadsAreDaemons() throws Exception {
        GatedFactory gated = new GatedFactory(tcp());
        try (ConnPool pool = ConnPool.create("daemons", ConnPoolConfig.builder().maxSize(1)
                .evictInterval(Duration.ofMillis(50)).build(), gated)) {
            assertThatThrownBy(() -> pool.get(Duration.ofMillis(1))).isInstanceOf(AcquireTimeoutException.class);
            gated.awaitEntered(); // the get's connect, on a connector thread, held in the factory
            try {
                Await.until(() -> threads("connpool-daemons-").size() == 2, BOUND,
                        () -> "connector and housekeeper running: " + threads("connpool-daemons-").keySet());
                assertThat(threads("connpool-daemons-")).allSatisfy((name, daemon) ->
                        assertThat(daemon).as("%s is a daemon", name).isTrue());
            } finally {
                gated.release();
            }
        }
    }

    private static Map<String, Boolean> threads(String prefix) {
        Map<String, Boolean> found = new java.util.TreeMap<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.isAlive() && t.getName().startsWith(prefix)) {
                found.put(t.getName(), t.isDaemon());
            }
        }
        return found;
    }
}
