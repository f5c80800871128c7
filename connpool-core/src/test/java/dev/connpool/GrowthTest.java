package dev.connpool;

import static org.assertj.core.api.Assertions.assertThat;

import dev.connpool.testkit.Await;
import dev.connpool.testkit.EchoBackendTest;
import dev.connpool.testkit.Worker;
import java.io.IOException;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** DESIGN §4 get, step 3: growth by increment, the caller first, the rest in the background. */
class GrowthTest extends EchoBackendTest {

    /** A factory whose first connect goes through at once and whose later ones wait for a gate. */
    private final class GatedFactory implements ConnectionFactory {
        final CountDownLatch gate = new CountDownLatch(1);
        final AtomicInteger calls = new AtomicInteger();
        final ConnectionFactory tcp = tcp();

        @Override
        public Socket create() throws IOException {
            if (calls.incrementAndGet() > 1) {
                try {
                    if (!gate.await(10, TimeUnit.SECONDS)) {
                        throw new IOException("gate never opened");
                    }
                } catch (InterruptedException e) {
                    throw new java.io.InterruptedIOException("closed while gated");
                }
            }
            return tcp.create();
        }
    }

    @Test
    void theCallerGetsTheFirstConnectionWhileTheRestOpenInTheBackground() throws Exception {
        GatedFactory factory = new GatedFactory();
        try (ConnPool pool = ConnPool.create("increment", ConnPoolConfig.builder().maxSize(10).increment(3)
                .build(), factory)) {
            try (PooledConnection c = pool.get(Duration.ofSeconds(5))) {
                c.getOutputStream().write('x');
                assertThat(c.getInputStream().read()).isEqualTo('x');
                // two more were started for the pool and are still connecting (held at the gate)
                Await.until(() -> factory.calls.get() == 3, Duration.ofSeconds(5), "three connects started");
                assertThat(pool.stats().connecting()).isEqualTo(2);
                assertThat(pool.stats().size()).isEqualTo(1);
            }
            factory.gate.countDown();
            Await.until(() -> pool.stats().size() == 3, Duration.ofSeconds(5), () -> "size " + pool.stats());
            server.awaitOpen(3, Duration.ofSeconds(5));
            PoolStats s = pool.stats();
            assertThat(s.created()).isEqualTo(3);
            assertThat(s.available()).isEqualTo(3);
            assertThat(s.connecting()).isZero();
        }
    }

    @Test
    void growthNeverExceedsMaxSize() throws Exception {
        try (ConnPool pool = ConnPool.create("capped", ConnPoolConfig.builder().maxSize(4).increment(3)
                .healthCheck(HealthCheck.none()).build(),
                tcp())) {
            List<PooledConnection> held = new ArrayList<>();
            held.add(pool.get()); // opens 3
            Await.until(() -> pool.stats().size() == 3, Duration.ofSeconds(5), "three open");
            held.add(pool.get());
            held.add(pool.get());
            held.add(pool.get()); // needs one more: room for only one of the increment
            Await.until(() -> pool.stats().connecting() == 0, Duration.ofSeconds(5), "connects done");
            assertThat(pool.stats().size()).isEqualTo(4);
            assertThat(pool.stats().created()).isEqualTo(4);
            server.awaitOpen(4, Duration.ofSeconds(5)); // the server accepts after the client connected
            assertThat(server.maxOpen()).isEqualTo(4);
            held.forEach(PooledConnection::close);
        }
    }

    @Test
    void callersThatArriveWhileConnectsRunAdoptThemInsteadOfStartingMore() throws Exception {
        GatedFactory factory = new GatedFactory();
        try (ConnPool pool = ConnPool.create("adopt", ConnPoolConfig.builder().maxSize(10).increment(3).build(),
                factory)) {
            PooledConnection first = pool.get(Duration.ofSeconds(5));
            // two background connects are gated; a second caller must not start a fourth
            AtomicInteger served = new AtomicInteger();
            Worker second = Worker.start("second-caller", () -> {
                try (PooledConnection c = pool.get(Duration.ofSeconds(10))) {
                    served.incrementAndGet();
                }
            });
            Await.until(() -> pool.stats().waiters() == 1, Duration.ofSeconds(5), "second caller waits");
            // the two background connects are submitted by now, but their threads may not have
            // reached the factory yet (CI saw 2): wait for them, then check no fourth one started
            Await.until(() -> factory.calls.get() >= 3, Duration.ofSeconds(5), "background connects started");
            assertThat(factory.calls).hasValue(3);
            factory.gate.countDown();
            second.join(Duration.ofSeconds(10));
            assertThat(served).hasValue(1);
            Await.until(() -> pool.stats().connecting() == 0, Duration.ofSeconds(5), "connects done");
            assertThat(pool.stats().created()).isEqualTo(3);
            first.close();
        }
    }
}
