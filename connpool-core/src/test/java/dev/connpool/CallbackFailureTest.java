package dev.connpool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.connpool.testkit.BrokenFactory;
import dev.connpool.testkit.Await;
import dev.connpool.testkit.Echo;
import dev.connpool.testkit.EchoBackendTest;
import dev.connpool.testkit.PoolLog;
import dev.connpool.testkit.SwitchableFactory;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.logging.Level;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * User code the pool calls (connection factory, health check, metrics tracker) failing with a
 * {@link RuntimeException} or an {@link Error}: a lease is never broken and a connection or its
 * room never lost. A throwing tracker is isolated and logged once.
 *
 * <p>Log records are read with {@link PoolLog}.
 */
class CallbackFailureTest extends EchoBackendTest {

    private static final Duration BOUND = Duration.ofSeconds(5);

    /** Thrown by user code on purpose. */
    static final class UserError extends Error {
        private static final long serialVersionUID = 1L;

        UserError(String where) {
            super("thrown on purpose by " + where);
        }
    }

    /** Thrown by user code on purpose, unchecked. */
    static final class UserFailure extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UserFailure(String where) {
            super("thrown on purpose by " + where);
        }
    }

    @RegisterExtension
    final PoolLog log = new PoolLog();

    /** Log records that carry, or name, a throwable the test made user code throw. */
    private long recordsOf(Class<? extends Throwable> type) {
        return log.records().stream().filter(r -> type.isInstance(r.getThrown())
                || (r.getMessage() != null && r.getMessage().contains("thrown on purpose"))).count();
    }

    // ---- metrics trackers ----------------------------------------------------------------------

    private enum Event { ACQUIRED, RELEASED, CONNECTED }

    /** A tracker that throws on one event, every time. */
    private static MetricsTracker throwingOn(Event event, Supplier<? extends Throwable> toThrow,
            AtomicInteger calls) {
        return new MetricsTracker() {
            @Override
            public void acquired(long nanos) {
                maybeThrow(Event.ACQUIRED);
            }

            @Override
            public void released(long nanos) {
                maybeThrow(Event.RELEASED);
            }

            @Override
            public void connected(long nanos) {
                maybeThrow(Event.CONNECTED);
            }

            private void maybeThrow(Event e) {
                if (e != event) {
                    return;
                }
                calls.incrementAndGet();
                Throwable t = toThrow.get();
                if (t instanceof Error) {
                    throw (Error) t;
                }
                throw (RuntimeException) t;
            }
        };
    }

    @Test
    void aTrackerThrowingARuntimeExceptionOnAcquireBreaksNoLease() throws Exception {
        trackerIsIsolated(Event.ACQUIRED, () -> new UserFailure("acquired"), UserFailure.class);
    }

    @Test
    void aTrackerThrowingAnErrorOnAcquireBreaksNoLease() throws Exception {
        trackerIsIsolated(Event.ACQUIRED, () -> new UserError("acquired"), UserError.class);
    }

    @Test
    void aTrackerThrowingARuntimeExceptionOnReleaseBreaksNoLease() throws Exception {
        trackerIsIsolated(Event.RELEASED, () -> new UserFailure("released"), UserFailure.class);
    }

    @Test
    void aTrackerThrowingAnErrorOnReleaseBreaksNoLease() throws Exception {
        trackerIsIsolated(Event.RELEASED, () -> new UserError("released"), UserError.class);
    }

    @Test
    void aTrackerThrowingARuntimeExceptionOnConnectBreaksNoLease() throws Exception {
        trackerIsIsolated(Event.CONNECTED, () -> new UserFailure("connected"), UserFailure.class);
    }

    @Test
    void aTrackerThrowingAnErrorOnConnectBreaksNoLease() throws Exception {
        trackerIsIsolated(Event.CONNECTED, () -> new UserError("connected"), UserError.class);
    }

    /**
     * Five leases on a pool of one, each of a new connection (marked unusable) so that every event
     * fires five times: each get returns a working connection, each close returns it, nothing leaks,
     * and the tracker's failure is logged once.
     */
    private void trackerIsIsolated(Event event, Supplier<? extends Throwable> toThrow,
            Class<? extends Throwable> type) throws Exception {
        AtomicInteger calls = new AtomicInteger();
        try (ConnPool pool = ConnPool.create("tracker-" + event.name().toLowerCase(), ConnPoolConfig.builder()
                .maxSize(1).evictInterval(Duration.ZERO).build(), tcp())) {
            pool.addMetricsTracker(throwingOn(event, toThrow, calls));
            for (int i = 0; i < 5; i++) {
                PooledConnection c;
                try {
                    c = pool.get(BOUND);
                } catch (Throwable t) {
                    throw new AssertionError("get broken by a throwing tracker; pool: " + pool.stats(), t);
                }
                Echo.roundTrip(c);
                if (i % 2 == 1) {
                    c.markUnusable(); // a new connection next time, so connected fires again
                }
                assertThatCode(c::close).as("close with a throwing tracker").doesNotThrowAnyException();
                PoolStats s = pool.stats();
                assertThat(s.active()).as("returned: %s", s).isZero();
            }
            assertThat(calls.get()).as("the tracker was called").isPositive();
            PoolStats s = pool.stats();
            assertThat(s.successes()).as("%s", s).isEqualTo(5);
            assertThat(s.available()).as("%s", s).isEqualTo(s.size());
            assertThat(s.closed()).as("%s", s).isEqualTo(s.created() - s.size());
            // and the one room is still there
            try (PooledConnection c = pool.get(BOUND)) {
                Echo.roundTrip(c);
            }
            assertThat(recordsOf(type)).as("log records of the tracker's failure (called %s times): %s", calls,
                    log.messages()).isEqualTo(1);
        }
        server.awaitOpen(0, BOUND);
    }

    // ---- connection factory --------------------------------------------------------------------

    @Test
    void aFactoryThrowingARuntimeExceptionFailsTheGetAndFreesTheRoom() throws Exception {
        factoryFailureFreesTheRoom("factory-rte", () -> new UserFailure("the factory"));
    }

    @Test
    void aFactoryThrowingAnErrorFailsTheGetAndFreesTheRoom() throws Exception {
        factoryFailureFreesTheRoom("factory-error", () -> new UserError("the factory"));
    }

    /**
     * A factory throwing something other than an {@code IOException} is a bug in user code: logged
     * as a WARNING naming the pool, with what it threw. A refused connect is the backend's answer,
     * reported to the caller only.
     */
    @Test
    void aFactoryThrowingARuntimeExceptionIsLoggedARefusedConnectIsNot() throws Exception {
        try (ConnPool pool = ConnPool.create("factory-refused", ConnPoolConfig.builder().maxSize(1)
                .evictInterval(Duration.ZERO).build(), SwitchableFactory.refusing())) {
            assertThatThrownBy(() -> pool.get(BOUND)).isInstanceOf(ConnectFailedException.class)
                    .hasCauseInstanceOf(java.net.ConnectException.class);
        } // close() joins the connector's threads: anything they log is logged by now
        assertThat(log.at(Level.WARNING, "connection factory threw")).as(log.messages()).isEmpty();
        BrokenFactory factory = new BrokenFactory(tcp(), () -> new UserFailure("the factory"), true);
        try (ConnPool pool = ConnPool.create("factory-logged", ConnPoolConfig.builder().maxSize(1)
                .evictInterval(Duration.ZERO).build(), factory)) {
            assertThatThrownBy(() -> pool.get(BOUND)).isInstanceOf(ConnectFailedException.class)
                    .hasCauseInstanceOf(UserFailure.class);
        }
        assertThat(log.at(Level.WARNING, "connection factory threw")).as(log.messages()).singleElement()
                .satisfies(r -> {
                    assertThat(r.getMessage()).contains("'factory-logged'");
                    assertThat(r.getThrown()).isInstanceOf(UserFailure.class);
                });
    }

    private void factoryFailureFreesTheRoom(String name, Supplier<? extends Throwable> toThrow) throws Exception {
        BrokenFactory factory = new BrokenFactory(tcp(), toThrow, true);
        try (ConnPool pool = ConnPool.create(name, ConnPoolConfig.builder().maxSize(1)
                .evictInterval(Duration.ZERO).build(), factory)) {
            Throwable thrown = toThrow.get();
            for (int i = 0; i < 3; i++) {
                assertThatThrownBy(() -> pool.get(BOUND)).isInstanceOf(ConnectFailedException.class)
                        .hasRootCauseInstanceOf(thrown.getClass());
            }
            PoolStats s = pool.stats();
            assertThat(s.size()).as("%s", s).isZero();
            assertThat(s.connectFailures()).as("%s", s).isGreaterThanOrEqualTo(1);
            assertThat(pool.lastConnectFailure()).get().isInstanceOf(thrown.getClass());
            factory.broken(false);
            // the one room is free again (a connect backoff may refuse the first tries at once)
            PooledConnection[] got = new PooledConnection[1];
            Await.until(() -> {
                try {
                    got[0] = pool.get(BOUND);
                    return true;
                } catch (ConnectFailedException backingOff) {
                    return false;
                } catch (IOException e) {
                    throw new AssertionError(e);
                }
            }, Duration.ofSeconds(15), () -> "no connection once the factory works again: " + pool.stats());
            try (PooledConnection c = got[0]) {
                Echo.roundTrip(c);
            }
            assertThat(pool.stats().size()).isEqualTo(1);
        }
        server.awaitOpen(0, BOUND);
    }

    // ---- health check --------------------------------------------------------------------------

    @Test
    void aHealthCheckThrowingAnErrorReachesTheCallerButLeaksNothing() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        HealthCheck check = socket -> {
            if (calls.incrementAndGet() == 1) {
                throw new UserError("the health check");
            }
        };
        try (ConnPool pool = ConnPool.create("check-error", ConnPoolConfig.builder().maxSize(1)
                .healthCheck(check).evictInterval(Duration.ZERO).build(), tcp())) {
            pool.get(BOUND).close(); // idle now, checked on the next get
            assertThatThrownBy(() -> pool.get(BOUND)).isInstanceOf(UserError.class);
            PoolStats s = pool.stats();
            assertThat(s.active()).as("nothing lent to nobody: %s", s).isZero();
            assertThat(s.closed()).as("%s", s).isEqualTo(s.created() - s.size());
            // maxSize 1: only a connection or a room not leaked lets this through
            try (PooledConnection c = pool.get(Duration.ofSeconds(2))) {
                Echo.roundTrip(c);
            }
            assertThat(pool.stats().size()).isEqualTo(1);
        }
        server.awaitOpen(0, BOUND);
    }

    @Test
    void aHealthCheckThrowingARuntimeExceptionClosesTheConnectionAndTheGetGoesOn() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        HealthCheck check = socket -> {
            if (calls.incrementAndGet() <= 2) {
                throw new UserFailure("the health check");
            }
        };
        try (ConnPool pool = ConnPool.create("check-rte", ConnPoolConfig.builder().maxSize(3)
                .healthCheck(check).evictInterval(Duration.ZERO).build(), tcp())) {
            PooledConnection a = pool.get(BOUND);
            PooledConnection b = pool.get(BOUND);
            PooledConnection c = pool.get(BOUND);
            a.close();
            b.close();
            c.close();
            server.awaitOpen(3, BOUND);
            try (PooledConnection got = pool.get(BOUND)) {
                Echo.roundTrip(got);
            }
            PoolStats s = pool.stats();
            assertThat(s.pingFailed()).as("%s", s).isEqualTo(2);
            assertThat(s.size()).as("%s", s).isEqualTo(1);
            assertThat(s.successes()).as("%s", s).isEqualTo(4);
            server.awaitOpen(1, BOUND);
        }
    }
}
