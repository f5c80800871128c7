package dev.connpool;

import static org.assertj.core.api.Assertions.assertThat;

import dev.connpool.internal.EngineHooks;
import dev.connpool.testkit.Await;
import dev.connpool.testkit.Echo;
import dev.connpool.testkit.EchoBackendTest;
import dev.connpool.testkit.SlowCloseFactory;
import dev.connpool.testkit.Worker;
import java.io.IOException;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * DESIGN §4: idle timeout closes idle connections, but never takes the pool below minSize. The
 * connections age on the engine's clock, moved by the test ({@link EngineHooks#advanceClock}), so a
 * minute of idleness costs no real time and "not yet" is exact.
 */
class IdleTimeoutTest extends EchoBackendTest {

    private static final Duration IDLE = Duration.ofMinutes(1);
    private static final Duration BOUND = Duration.ofSeconds(5);

    private static void fill(ConnPool pool, int n) throws IOException {
        List<PooledConnection> held = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            held.add(pool.get());
        }
        held.forEach(PooledConnection::close);
    }

    @Test
    void getClosesIdleConnectionsOnlyDownToMinSize() throws Exception {
        try (ConnPool pool = ConnPool.create("idle-get", ConnPoolConfig.builder().minSize(2).maxSize(6)
                .idleTimeout(IDLE).evictInterval(Duration.ZERO).build(), tcp())) {
            fill(pool, 6);
            assertThat(pool.stats().size()).isEqualTo(6);
            EngineHooks.advanceClock(IDLE.minusSeconds(1));
            // idle just under the timeout: lent, none closed
            PooledConnection first = pool.get();
            assertThat(pool.stats().idleClosed()).isZero();
            assertThat(pool.stats().size()).isEqualTo(6);
            EngineHooks.advanceClock(Duration.ofSeconds(2));
            // past it: the idle ones go, top first, until the pool is down to minSize (the one lent counts)
            try (PooledConnection c = pool.get()) {
                Echo.roundTrip(c);
            }
            PoolStats s = pool.stats();
            assertThat(s.idleClosed()).as("%s", s).isEqualTo(4);
            assertThat(s.size()).as("%s", s).isEqualTo(2);
            assertThat(s.created()).as("%s", s).isEqualTo(6);
            first.close();
            server.awaitOpen(2, BOUND);
        }
    }

    @Test
    void theEvictorShrinksToMinSizeAndNeverBelow() throws Exception {
        try (ConnPool pool = ConnPool.create("idle-evictor", ConnPoolConfig.builder().minSize(3).maxSize(8)
                .idleTimeout(IDLE).evictInterval(Duration.ofMillis(10)).build(), tcp())) {
            fill(pool, 8);
            EngineHooks.advanceClock(IDLE.minusSeconds(1));
            EngineHooks.evict(pool); // one run we know happened: nothing is idle long enough yet
            assertThat(pool.stats().idleClosed()).isZero();
            assertThat(pool.stats().size()).isEqualTo(8);
            EngineHooks.advanceClock(Duration.ofSeconds(2));
            // the scheduled runs close the excess
            Await.until(() -> pool.stats().idleClosed() == 5, BOUND, () -> "" + pool.stats());
            // however long they sit idle from now on, the pool holds exactly minSize: none closed, none reopened
            for (int i = 0; i < 3; i++) {
                EngineHooks.advanceClock(Duration.ofMinutes(10));
                EngineHooks.evict(pool);
                PoolStats s = pool.stats();
                assertThat(s.size()).as("%s", s).isEqualTo(3);
                assertThat(s.idleClosed()).as("%s", s).isEqualTo(5);
            }
            assertThat(pool.stats().created()).isEqualTo(8);
            server.awaitOpen(3, BOUND);
        }
    }

    @Test
    void activeConnectionsAreNotIdleAndIdlenessCountsFromTheReturn() throws Exception {
        try (ConnPool pool = ConnPool.create("busy", ConnPoolConfig.builder().maxSize(2)
                .idleTimeout(IDLE).evictInterval(Duration.ZERO).build(), tcp())) {
            Socket socket;
            try (PooledConnection c = pool.get()) {
                socket = c.socket();
                EngineHooks.advanceClock(IDLE.multipliedBy(2));
                EngineHooks.evict(pool); // lent: not the evictor's to close
                Echo.roundTrip(c);
            }
            // returned just now: idle for less than the timeout, on the evictor's run and on the next get
            EngineHooks.advanceClock(IDLE.minusSeconds(1));
            EngineHooks.evict(pool);
            try (PooledConnection c = pool.get()) {
                assertThat(c.socket()).isSameAs(socket);
            }
            assertThat(pool.stats().idleClosed()).isZero();
            // and once it has been idle a whole timeout after that return, the evictor closes it
            EngineHooks.advanceClock(IDLE.plusSeconds(1));
            EngineHooks.evict(pool);
            assertThat(socket.isClosed()).isTrue();
            PoolStats s = pool.stats();
            assertThat(s.idleClosed()).as("%s", s).isEqualTo(1);
            assertThat(s.size()).as("%s", s).isZero();
        }
    }

    /**
     * Without a health check nothing else would catch it: the idle connection a get closes is never
     * the one it lends; the get opens a new one (minSize 0).
     */
    @Test
    void aGetLendsANewConnectionNotTheIdleOneItClosed() throws Exception {
        try (ConnPool pool = ConnPool.create("idle-get-new", ConnPoolConfig.builder().minSize(0).maxSize(1)
                .healthCheck(HealthCheck.none()).idleTimeout(IDLE).evictInterval(Duration.ZERO).build(), tcp())) {
            Socket idle;
            try (PooledConnection c = pool.get(BOUND)) {
                idle = c.socket();
            }
            EngineHooks.advanceClock(IDLE.plusSeconds(1));
            try (PooledConnection c = pool.get(BOUND)) {
                assertThat(c.socket()).isNotSameAs(idle);
                assertThat(c.socket().isClosed()).isFalse();
                Echo.roundTrip(c);
            }
            assertThat(idle.isClosed()).isTrue();
            PoolStats s = pool.stats();
            assertThat(s.idleClosed()).as("%s", s).isEqualTo(1);
            assertThat(s.created()).as("%s", s).isEqualTo(2);
        }
        server.awaitOpen(0, BOUND);
    }

    /**
     * A connection its user is closing right now no longer counts towards minSize: the evictor keeps
     * the idle one that is all that will be left, however long it has idled.
     */
    @Test
    void aConnectionBeingClosedDoesNotCountTowardsMinSize() throws Exception {
        SlowCloseFactory factory = new SlowCloseFactory(server.host(), server.port());
        try (ConnPool pool = ConnPool.create("idle-while-closing", ConnPoolConfig.builder().minSize(1).maxSize(2)
                .healthCheck(HealthCheck.none()).idleTimeout(IDLE).evictInterval(Duration.ZERO).build(), factory)) {
            PooledConnection idle = pool.get(BOUND);
            PooledConnection closing = pool.get(BOUND);
            Socket kept = idle.socket();
            idle.close();
            factory.holdCloseOf(closing.socket());
            closing.markUnusable();
            Worker user = Worker.start("closing-user", closing::close);
            try {
                factory.awaitInClose();
                EngineHooks.advanceClock(IDLE.plusSeconds(1));
                EngineHooks.evict(pool);
                PoolStats s = pool.stats();
                assertThat(s.idleClosed()).as("%s", s).isZero();
                assertThat(kept.isClosed()).isFalse();
            } finally {
                factory.release();
            }
            user.join(BOUND);
            try (PooledConnection c = pool.get(BOUND)) {
                assertThat(c.socket()).isSameAs(kept);
            }
        }
        server.awaitOpen(0, BOUND);
    }
}
