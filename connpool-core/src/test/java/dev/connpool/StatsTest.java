package dev.connpool;

import static org.assertj.core.api.Assertions.assertThat;

import dev.connpool.testkit.Await;
import dev.connpool.testkit.NoPoolThreads;
import dev.connpool.testkit.Stress;
import dev.connpool.testkit.TestServer;
import dev.connpool.testkit.Worker;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** DESIGN §4 stats: cheap, and every snapshot consistent while the pool is hammered. */
@Timeout(60)
@ExtendWith(NoPoolThreads.class)
class StatsTest {

    @Test
    @Stress
    void everySnapshotSatisfiesTheInequalitiesWhile16ThreadsHammer() throws Exception {
        try (TestServer server = TestServer.echo();
             ConnPool pool = ConnPool.create("hammered", ConnPoolConfig.builder().minSize(2).maxSize(8)
                     .increment(2).idleTimeout(Duration.ofMillis(20)).maxLifetime(Duration.ofMillis(100))
                     .evictInterval(Duration.ofMillis(5)).build(),
                     ConnectionFactory.tcp(server.host(), server.port(), Duration.ofSeconds(5)))) {
            CountDownLatch done = new CountDownLatch(1);
            List<String> violations = new CopyOnWriteArrayList<>();
            AtomicInteger snapshots = new AtomicInteger();
            Worker sampler = Worker.start("sampler", () -> {
                PoolStats prev = pool.stats();
                while (done.getCount() > 0) {
                    PoolStats s = pool.stats();
                    snapshots.incrementAndGet();
                    if (s.active() < 0 || s.available() < 0 || s.waiters() < 0 || s.connecting() < 0
                            || s.active() + s.available() > s.size() || s.size() > 8
                            || s.size() + s.connecting() > 8) {
                        violations.add(s.toString());
                    }
                    InvariantsTest.check(prev, s, violations);
                    prev = s;
                }
            });
            try {
                InvariantsTest.onThreads(16, Duration.ofSeconds(40), () -> {
                    ThreadLocalRandom r = ThreadLocalRandom.current();
                    for (int i = 0; i < 1500; i++) {
                        try (PooledConnection c = pool.get(Duration.ofSeconds(10))) {
                            if (r.nextInt(100) == 0) {
                                c.markUnusable();
                            }
                            if (r.nextInt(10) == 0) {
                                Thread.yield();
                            }
                        }
                    }
                });
            } finally {
                done.countDown();
                sampler.join(Duration.ofSeconds(5));
            }
            assertThat(snapshots.get()).isGreaterThan(100);
            assertThat(violations).isEmpty();
            PoolStats end = pool.stats();
            assertThat(end.requests()).isEqualTo(16 * 1500);
            assertThat(end.successes()).isEqualTo(16 * 1500);
            assertThat(end.waiters()).isZero();
            // the evictor (every 5 ms) holds an idle connection while it checks it, and counts as active
            Await.until(() -> pool.stats().active() == 0, Duration.ofSeconds(5), () -> "nothing lent: " + pool.stats());
        }
    }
}
