package dev.connpool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.connpool.testkit.NoPoolThreads;
import dev.connpool.testkit.TestServer;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The get/release fast path allocates nothing: measured with the thread's allocation counter
 * over 100k cycles after warm-up, with production settings (idle timeout and lifetime on) and no
 * health check. The lease object is scalar-replaced by escape analysis once the loop is compiled.
 */
@Timeout(60)
@ExtendWith(NoPoolThreads.class)
class AllocationTest {

    @Test
    void getAndReleaseAllocateNothingOnTheFastPath() throws Exception {
        java.lang.management.ThreadMXBean plain = ManagementFactory.getThreadMXBean();
        assumeTrue(plain instanceof com.sun.management.ThreadMXBean, "needs com.sun.management.ThreadMXBean");
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) plain;
        assumeTrue(threads.isThreadAllocatedMemorySupported());
        threads.setThreadAllocatedMemoryEnabled(true);
        try (TestServer server = TestServer.echo();
             ConnPool pool = ConnPool.create("alloc", ConnPoolConfig.builder().minSize(1).maxSize(4)
                     .idleTimeout(Duration.ofSeconds(30)).maxLifetime(Duration.ofMinutes(5))
                     .healthCheck(HealthCheck.none()).build(),
                     ConnectionFactory.tcp(server.host(), server.port(), Duration.ofSeconds(5)))) {
            long tid = Thread.currentThread().getId();
            long allocated = Long.MAX_VALUE;
            // warm up until the loop is compiled; then measure; a few rounds for the JIT to settle
            for (int round = 0; round < 20 && allocated != 0; round++) {
                cycles(pool, 200_000);
                long before = threads.getThreadAllocatedBytes(tid);
                long n = cycles(pool, 100_000);
                long after = threads.getThreadAllocatedBytes(tid);
                assertThat(n).isEqualTo(100_000);
                allocated = after - before;
            }
            assertThat(allocated).as("bytes allocated by 100k get/release cycles").isZero();
            assertThat(pool.stats().created()).isEqualTo(1);
        }
    }

    private static long cycles(ConnPool pool, int n) throws Exception {
        long count = 0;
        for (int i = 0; i < n; i++) {
            try (PooledConnection c = pool.get()) {
                if (c.socket() != null) {
                    count++;
                }
            }
        }
        return count;
    }
}
