package dev.connpool;

import static org.assertj.core.api.Assertions.assertThat;

import dev.connpool.AcquireTimeoutException;
import dev.connpool.ConnPool;
import dev.connpool.ConnPoolConfig;
import dev.connpool.ConnectionFactory;
import dev.connpool.HealthCheck;
import dev.connpool.testkit.NoPoolThreads;
import dev.connpool.testkit.TestServer;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * close() called on a thread whose interrupt flag is set still stops and joins every thread of the
 * pool (DESIGN §4, invariant 5), and keeps the flag. Closing on an interrupted thread is common:
 * shutdown hooks, cancelled tasks, a Spring context closed from an interrupted thread. Found by the
 * engine v2 review: the interrupt cut the joins short and left the evictor or a connector running.
 */
@Timeout(60)
class InterruptedCloseTest {

    // longer than close() takes when it does not wait: an interrupted join returns at once
    private static final long BUSY = 400_000_000L;

    @AfterEach
    void settle() throws Exception {
        Thread.interrupted();
        // let what this test left behind end, so that it does not fail the next test class
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (!NoPoolThreads.poolThreads().isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
    }

    private static void busy(long nanos) {
        long end = System.nanoTime() + nanos;
        while (System.nanoTime() < end) {
            Thread.onSpinWait();
        }
    }

    @Test
    void closeOnAnInterruptedThreadJoinsTheEvictor() throws Exception {
        try (TestServer server = TestServer.echo()) {
            CountDownLatch inCheck = new CountDownLatch(1);
            HealthCheck slow = s -> {
                inCheck.countDown();
                busy(BUSY); // a check bounded by its own timeout, deaf to interrupts (socket reads are)
            };
            ConnPool pool = ConnPool.create("edge-int-evictor", ConnPoolConfig.builder().minSize(1).maxSize(2)
                    .healthCheck(slow).evictInterval(Duration.ofMillis(20)).build(),
                    ConnectionFactory.tcp(server.host(), server.port(), Duration.ofSeconds(5)));
            inCheck.await();
            Thread.currentThread().interrupt();
            pool.close();
            String left = NoPoolThreads.poolThreads();
            Thread.interrupted();
            assertThat(left).as("pool threads alive when close() returned").isEmpty();
        }
    }

    @Test
    void closeOnAnInterruptedThreadJoinsTheConnector() throws Exception {
        try (TestServer server = TestServer.echo()) {
            ConnectionFactory tcp = ConnectionFactory.tcp(server.host(), server.port(), Duration.ofSeconds(5));
            CountDownLatch inConnect = new CountDownLatch(1);
            ConnectionFactory slow = () -> {
                inConnect.countDown();
                busy(BUSY);
                return tcp.create();
            };
            ConnPool pool = ConnPool.create("edge-int-connector", ConnPoolConfig.builder().maxSize(1)
                    .healthCheck(HealthCheck.none()).evictInterval(Duration.ZERO).build(), slow);
            try {
                pool.get(Duration.ofMillis(1)).close();
            } catch (AcquireTimeoutException expected) {
                // the connect goes on in the background
            }
            inConnect.await();
            Thread.currentThread().interrupt();
            pool.close();
            String left = NoPoolThreads.poolThreads();
            Thread.interrupted();
            assertThat(left).as("pool threads alive when close() returned").isEmpty();
        }
    }
}
