package dev.connpool;

import static org.assertj.core.api.Assertions.assertThat;

import static dev.connpool.testkit.CloseThrowingFactory.tolerating;

import dev.connpool.testkit.Await;
import dev.connpool.testkit.CloseThrowingFactory;
import dev.connpool.testkit.CountingEndpoint;
import dev.connpool.testkit.Echo;
import dev.connpool.testkit.EchoBackendTest;
import dev.connpool.testkit.NoPoolThreads;
import dev.connpool.testkit.PoolLog;
import dev.connpool.testkit.Threads;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * One close path for every socket, its bookkeeping in {@code finally} (DESIGN §7.3): a socket
 * whose {@code close()} throws, an {@link Error} as well as a {@link RuntimeException}, after
 * closing, must still free its room, and must not stop a forced close of the others half way.
 * {@code SocketCloseFailureOnShutdownIT} covers the pool's own close, in a JVM of its own.
 */
class SocketCloseFailureTest extends EchoBackendTest {

    private static final Duration BOUND = Duration.ofSeconds(5);

    @RegisterExtension
    final PoolLog log = new PoolLog();

    /** What the pool logged of the sockets' failed closes: a WARNING each, with the failure. */
    private List<LogRecord> failedCloses() {
        return log.at(Level.WARNING, "closing a pooled socket failed");
    }

    @Test
    void anErrorFromSocketCloseStillFreesTheRoomOfAnUnusableConnection() throws Exception {
        roomFreedAfterUnusable("close-error-room", CloseThrowingFactory.error(server.host(), server.port()));
    }

    @Test
    void aRuntimeExceptionFromSocketCloseStillFreesTheRoomOfAnUnusableConnection() throws Exception {
        roomFreedAfterUnusable("close-rte-room",
                CloseThrowingFactory.runtimeException(server.host(), server.port()));
    }

    private void roomFreedAfterUnusable(String name, CloseThrowingFactory factory) throws Exception {
        ConnPool pool = pool(name, 0, factory);
        try {
            PooledConnection c = pool.get(BOUND);
            c.markUnusable();
            tolerating(c::close);
            factory.awaitCloses(1, BOUND);
            server.awaitOpen(0, BOUND);
            // maxSize 1: only a freed room lets this get through
            try (PooledConnection next = pool.get(Duration.ofSeconds(2))) {
                Echo.roundTrip(next);
            }
            PoolStats s = pool.stats();
            assertThat(s.unusableClosed()).as("%s", s).isEqualTo(1);
            assertThat(s.size()).as("%s", s).isEqualTo(1);
            assertThat(s.closed()).as("%s", s).isEqualTo(s.created() - s.size());
            assertThat(failedCloses()).as("the failed close logged").hasSize(1);
        } finally {
            tolerating(pool::close);
        }
        server.awaitOpen(0, BOUND);
    }

    @Test
    void anErrorFromSocketCloseDoesNotStopAForcedCloseOfTheOthers() throws Exception {
        CloseThrowingFactory factory = CloseThrowingFactory.error(server.host(), server.port());
        ConnPool pool = ConnPool.create("close-error-forced", ConnPoolConfig.builder().maxSize(3)
                .evictInterval(Duration.ZERO).build(), factory);
        PooledConnection a = pool.get(BOUND);
        PooledConnection b = pool.get(BOUND);
        PooledConnection c = pool.get(BOUND);
        server.awaitOpen(3, BOUND);
        boolean[] allBack = {true};
        tolerating(() -> allBack[0] = pool.close(Duration.ZERO));
        server.awaitOpen(0, BOUND);
        factory.awaitCloses(3, BOUND);
        assertThat(allBack[0]).as("three were forced").isFalse();
        for (PooledConnection lent : new PooledConnection[] {a, b, c}) {
            lent.close(); // late returns: nothing more happens
        }
        assertThat(factory.closes()).isEqualTo(3);
        assertThat(failedCloses()).as("each failed close logged, none lost").hasSize(3)
                .allSatisfy(r -> assertThat(r.getThrown()).isInstanceOf(Error.class));
        assertThat(Threads.callWithin(() -> pool.close(Duration.ofSeconds(1)), BOUND, "a later close(grace) hangs"))
                .isFalse();
        PoolStats s = pool.stats();
        assertThat(s.size()).as("%s", s).isZero();
        assertThat(s.shutdownClosed()).as("%s", s).isEqualTo(3);
    }

    @Test
    void aConnectionReturnedAfterCloseWhoseSocketThrowsIsStillCounted() throws Exception {
        CloseThrowingFactory factory = CloseThrowingFactory.error(server.host(), server.port());
        ConnPool pool = pool("close-error-late", 0, factory);
        PooledConnection c = pool.get(BOUND);
        pool.close();
        tolerating(c::close);
        server.awaitOpen(0, BOUND);
        assertThat(Threads.callWithin(() -> pool.close(Duration.ofSeconds(1)), BOUND,
                "close(grace) after the return hangs")).as("all back: %s", pool.stats()).isTrue();
        PoolStats s = pool.stats();
        assertThat(s.size()).as("%s", s).isZero();
        assertThat(s.shutdownClosed()).as("%s", s).isEqualTo(1);
    }

    @Test
    void aRuntimeExceptionFromSocketCloseDoesNotStopThePoolsClose() throws Exception {
        poolCloseCompletes("close-rte-shutdown", server,
                CloseThrowingFactory.runtimeException(server.host(), server.port()));
    }

    /**
     * Closes a pool of two idle connections whose sockets throw on close, with an evictor running:
     * close() returns, a second close() too, no thread of the pool is left and every socket is
     * closed once and counted.
     */
    static void poolCloseCompletes(String name, CountingEndpoint server, CloseThrowingFactory factory)
            throws Exception {
        ConnPool pool = ConnPool.create(name, ConnPoolConfig.builder().minSize(2).maxSize(2)
                .evictInterval(Duration.ofMillis(20)).build(), factory);
        server.awaitOpen(2, BOUND);
        Threads.callWithin(() -> {
            tolerating(pool::close);
            return null;
        }, BOUND, "close() hangs");
        Threads.callWithin(() -> {
            pool.close();
            return null;
        }, BOUND, "a second close() hangs: the first never finished its shutdown");
        String prefix = "connpool-" + name;
        Await.until(() -> !NoPoolThreads.poolThreads().contains(prefix), BOUND,
                () -> "pool threads left behind: " + NoPoolThreads.poolThreads());
        server.awaitOpen(0, BOUND);
        factory.awaitCloses(2, BOUND);
        PoolStats s = pool.stats();
        assertThat(s.size()).as("%s", s).isZero();
        assertThat(s.shutdownClosed()).as("%s", s).isEqualTo(2);
    }

    private static ConnPool pool(String name, int min, ConnectionFactory factory) throws IOException {
        return ConnPool.create(name, ConnPoolConfig.builder().minSize(min).maxSize(1)
                .evictInterval(Duration.ZERO).build(), factory);
    }
}
