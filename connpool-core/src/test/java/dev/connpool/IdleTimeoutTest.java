package dev.connpool;

import static org.assertj.core.api.Assertions.assertThat;

import dev.connpool.testkit.Await;
import dev.connpool.testkit.EchoBackendTest;
import dev.connpool.testkit.TestServer;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** DESIGN §4: idle timeout closes idle connections, but never takes the pool below minSize. */
class IdleTimeoutTest extends EchoBackendTest {

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
                .idleTimeout(Duration.ofMillis(100)).evictInterval(Duration.ZERO).build(), tcp())) {
            fill(pool, 6);
            assertThat(pool.stats().size()).isEqualTo(6);
            GetTest.pause(Duration.ofMillis(150));
            try (PooledConnection c = pool.get()) {
                assertThat(c.socket().isConnected()).isTrue();
            }
            PoolStats s = pool.stats();
            assertThat(s.idleClosed()).isEqualTo(4);
            assertThat(s.size()).isEqualTo(2);
            assertThat(s.created()).isEqualTo(6);
            server.awaitOpen(2, Duration.ofSeconds(5));
        }
    }

    @Test
    void theEvictorShrinksToMinSizeAndNeverBelow() throws Exception {
        try (ConnPool pool = ConnPool.create("idle-evictor", ConnPoolConfig.builder().minSize(3).maxSize(8)
                .idleTimeout(Duration.ofMillis(100)).evictInterval(Duration.ofMillis(25)).build(), tcp())) {
            fill(pool, 8);
            Await.until(() -> pool.stats().idleClosed() == 5, Duration.ofSeconds(5), () -> "" + pool.stats());
            // over many more evictor runs, the pool holds exactly minSize: none closed, none reopened
            long end = System.nanoTime() + Duration.ofMillis(400).toNanos();
            while (System.nanoTime() < end) {
                PoolStats s = pool.stats();
                assertThat(s.size()).isEqualTo(3);
                assertThat(s.idleClosed()).isEqualTo(5);
                GetTest.pause(Duration.ofMillis(5));
            }
            assertThat(pool.stats().created()).isEqualTo(8);
            server.awaitOpen(3, Duration.ofSeconds(5));
        }
    }

    @Test
    void activeConnectionsAreNotIdle() throws Exception {
        try (ConnPool pool = ConnPool.create("busy", ConnPoolConfig.builder().maxSize(2)
                .idleTimeout(Duration.ofMillis(100)).evictInterval(Duration.ofMillis(20)).build(), tcp())) {
            try (PooledConnection c = pool.get()) {
                GetTest.pause(Duration.ofMillis(250));
                c.getOutputStream().write('x');
                assertThat(c.getInputStream().read()).isEqualTo('x');
            }
            // returned just now: not idle long enough to be closed on the next get
            try (PooledConnection c = pool.get()) {
                assertThat(pool.stats().idleClosed()).isZero();
            }
        }
    }
}
