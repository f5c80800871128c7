package dev.connpool.autoconfigure.endpoint;

import static org.assertj.core.api.Assertions.assertThat;

import dev.connpool.ConnPool;
import dev.connpool.ConnPoolConfig;
import dev.connpool.ConnectionFactory;
import dev.connpool.autoconfigure.ConnPools;
import dev.connpool.autoconfigure.PoolThreads;
import dev.connpool.autoconfigure.endpoint.ConnPoolsEndpoint.PoolOperationDescriptor;
import dev.connpool.testkit.TestServer;
import dev.connpool.testkit.VirtualThreads;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The write operation racing the pool's close (what a context close does to it while a request is in
 * progress): every action, from platform and from virtual threads, ends without an exception, before
 * and after the close; once closed, an action does nothing and says so; no socket nor thread is left.
 */
@ExtendWith(PoolThreads.class)
@Timeout(60)
class WriteOperationsCloseRaceTests {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String[][] REQUESTS = {
            {null, null, null}, {"soft-evict", null, null}, {"suspend", null, null}, {"resume", null, null},
            {"resize", "1", "3"}, {"resize", "0", "2"}, {"evict-idle", null, null}};

    @Test
    void actionsRacingCloseFromPlatformThreads() throws Exception {
        race(Executors.defaultThreadFactory());
    }

    @Test
    void actionsRacingCloseFromVirtualThreads() throws Exception {
        race(VirtualThreads.factory());
    }

    private static void race(ThreadFactory threads) throws Exception {
        try (TestServer server = TestServer.echo()) {
            ConnPool pool = ConnPool.create("orders", ConnPoolConfig.builder().minSize(1).maxSize(3).build(),
                    ConnectionFactory.tcp(server.host(), server.port(), WAIT));
            ConnPoolsEndpoint endpoint = new ConnPoolsEndpoint(new ConnPools(Map.of("orders", pool)));
            Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
            CountDownLatch started = new CountDownLatch(4);
            CountDownLatch closed = new CountDownLatch(1);
            List<Thread> workers = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int offset = t;
                Thread w = threads.newThread(() -> {
                    started.countDown();
                    try {
                        // on until the pool is closed, and a few more after it
                        for (int i = 0; closed.getCount() > 0 || i % 50 != 0; i++) {
                            String[] r = REQUESTS[(i + offset) % REQUESTS.length];
                            PoolOperationDescriptor outcome = endpoint.operate("orders", r[0], r[1], r[2]);
                            if (outcome == null) {
                                throw new AssertionError("no outcome for " + r[0]);
                            }
                            endpoint.connPool("orders");
                        }
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                });
                w.start();
                workers.add(w);
            }
            started.await(WAIT.toSeconds(), TimeUnit.SECONDS);
            pool.close(Duration.ofSeconds(1));
            closed.countDown();
            for (Thread w : workers) {
                w.join(WAIT.toMillis());
                assertThat(w.isAlive()).as("worker done").isFalse();
            }
            assertThat(failures).isEmpty();
            PoolOperationDescriptor after = endpoint.operate("orders", "suspend", null, null);
            assertThat(after.closed()).isTrue();
            assertThat(endpoint.connPool("orders").closed()).isTrue();
            server.awaitOpen(0, WAIT);
        }
    }
}
