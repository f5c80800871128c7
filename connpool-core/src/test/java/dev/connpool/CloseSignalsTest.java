package dev.connpool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.connpool.testkit.Await;
import dev.connpool.testkit.EchoBackendTest;
import dev.connpool.testkit.Interrupts;
import dev.connpool.testkit.NoPoolThreads;
import dev.connpool.testkit.PoolLog;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What the pool's own threads tell the caller (DESIGN §4, close(), and invariant 5): a close
 * that ends normally logs no warning; an interrupt that arrives while close() joins the pool's
 * threads does not cut the join short and is still set when close() returns; a create() on an
 * interrupted thread opens its minSize and keeps the flag; an evictor run that fails is logged;
 * a health check that suspends the pool from the evictor's own thread leaves no thread running.
 */
class CloseSignalsTest extends EchoBackendTest {

    private static final Duration BOUND = Duration.ofSeconds(5);

    @RegisterExtension
    final PoolLog log = new PoolLog();

    @AfterEach
    void clearFlag() {
        Thread.interrupted();
    }

    private String warnings() {
        return log.records().stream().filter(r -> r.getLevel().equals(Level.WARNING))
                .map(r -> r.getMessage()).reduce("", (a, b) -> a + b + "\n");
    }

    /** Thrown by a health check on purpose. */
    static final class CheckError extends Error {
        private static final long serialVersionUID = 1L;

        CheckError() {
            super("thrown by a health check on purpose");
        }
    }

    @Test
    void aCloseWhoseConnectsAndEvictorEndInTimeLogsNoWarning() throws Exception {
        ConnPool pool = ConnPool.create("quiet-close", ConnPoolConfig.builder().minSize(2).maxSize(3)
                .evictInterval(Duration.ofMillis(50)).build(), tcp());
        try (pool) {
            try (PooledConnection a = pool.get(BOUND); PooledConnection b = pool.get(BOUND);
                    PooledConnection c = pool.get(BOUND)) {
                server.awaitOpen(3, BOUND); // the third came from a connect thread of the pool's
            }
            pool.close();
            server.awaitOpen(0, BOUND);
            assertThat(warnings()).as("warnings logged by a normal close").isEmpty();
        }
    }

    @Test
    void anInterruptWhileCloseWaitsForAConnectIsKeptAndTheWaitGoesOn() throws Exception {
        CountDownLatch inConnect = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ConnectionFactory tcp = tcp();
        ConnectionFactory deaf = () -> {
            inConnect.countDown();
            // deaf to interrupts, like a connect bounded by its own timeout
            Interrupts.awaitIgnoringInterrupts(release);
            return tcp.create();
        };
        ConnPool pool = ConnPool.create("interrupted-connector-wait", ConnPoolConfig.builder().maxSize(1)
                .healthCheck(HealthCheck.none()).evictInterval(Duration.ZERO).build(), deaf);
        CompletableFuture<Boolean> flagAfter = new CompletableFuture<>();
        Thread closer = new Thread(() -> {
            pool.close();
            flagAfter.complete(Thread.currentThread().isInterrupted());
        }, "connector-wait-closer");
        try {
            assertThatThrownBy(() -> pool.get(Duration.ofMillis(1))).isInstanceOf(AcquireTimeoutException.class);
            assertThat(inConnect.await(5, TimeUnit.SECONDS)).isTrue();
            closer.start();
            Await.until(() -> inFrame(closer, "shutdownUninterruptibly"), BOUND,
                    "close joining the connector, which is stuck in the factory");
            closer.interrupt();
            Await.until(() -> !closer.isInterrupted(), BOUND, "the wait took the interrupt");
            assertThat(flagAfter).as("close returned while the connect still ran").isNotDone();
        } finally {
            release.countDown();
            if (closer.getState() == Thread.State.NEW) {
                pool.close(); // the test failed before the closer started
            }
        }
        assertThat(flagAfter.get(5, TimeUnit.SECONDS)).as("interrupt flag when close returned").isTrue();
        closer.join(5_000);
        assertThat(NoPoolThreads.poolThreads()).doesNotContain("interrupted-connector-wait");
        server.awaitOpen(0, BOUND);
        assertThat(warnings()).as("the connect ended within the wait").isEmpty();
    }

    @Test
    void anInterruptWhileCloseJoinsTheEvictorIsKeptAndTheJoinGoesOn() throws Exception {
        CountDownLatch inCheck = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        HealthCheck deaf = s -> {
            inCheck.countDown();
            Interrupts.awaitIgnoringInterrupts(release);
        };
        ConnPool pool = ConnPool.create("interrupted-evictor-join", ConnPoolConfig.builder().minSize(1).maxSize(1)
                .healthCheck(deaf).evictInterval(Duration.ofMillis(20)).build(), tcp());
        CompletableFuture<Boolean> flagAfter = new CompletableFuture<>();
        Thread closer = new Thread(() -> {
            pool.close();
            flagAfter.complete(Thread.currentThread().isInterrupted());
        }, "evictor-join-closer");
        try {
            assertThat(inCheck.await(5, TimeUnit.SECONDS)).as("the evictor checks the idle connection").isTrue();
            closer.start();
            Await.until(() -> inFrame(closer, "halt"), BOUND, "close joining the evictor, stuck in the check");
            closer.interrupt();
            Await.until(() -> !closer.isInterrupted(), BOUND, "the join took the interrupt");
            assertThat(flagAfter).as("close returned while the evictor still ran").isNotDone();
        } finally {
            release.countDown();
            if (closer.getState() == Thread.State.NEW) {
                pool.close(); // the test failed before the closer started
            }
        }
        assertThat(flagAfter.get(5, TimeUnit.SECONDS)).as("interrupt flag when close returned").isTrue();
        closer.join(5_000);
        assertThat(NoPoolThreads.poolThreads()).doesNotContain("interrupted-evictor-join");
        server.awaitOpen(0, BOUND);
    }

    @Test
    void createOnAnInterruptedThreadOpensMinSizeAndKeepsTheFlag() throws Exception {
        Thread.currentThread().interrupt();
        boolean flagAfter;
        ConnPool pool;
        try {
            pool = ConnPool.create("interrupted-create", ConnPoolConfig.builder().minSize(2).maxSize(2)
                    .evictInterval(Duration.ZERO).build(), tcp());
        } finally {
            flagAfter = Thread.interrupted();
        }
        try (pool) {
            assertThat(flagAfter).as("interrupt flag when create returned").isTrue();
            assertThat(pool.stats().size()).as("%s", pool.stats()).isEqualTo(2);
            server.awaitOpen(2, BOUND);
        }
        server.awaitOpen(0, BOUND);
    }

    @Test
    void aFailedEvictorRunIsLogged() throws Exception {
        HealthCheck throwsError = s -> {
            if (Thread.currentThread().getName().endsWith("-housekeeper")) {
                throw new CheckError();
            }
        };
        try (ConnPool pool = ConnPool.create("evictor-fails", ConnPoolConfig.builder().minSize(1).maxSize(1)
                .healthCheck(throwsError).evictInterval(Duration.ofMillis(20)).build(), tcp())) {
            // the run closes the connection (its check failed) and passes the Error on
            Await.until(() -> !log.at(Level.WARNING, "evictor run failed").isEmpty(), BOUND,
                    () -> "evictor failures logged: " + log.messages());
            assertThat(log.at(Level.WARNING, "evictor run failed").get(0).getThrown()).isInstanceOf(CheckError.class);
            assertThat(log.at(Level.WARNING, "evictor run failed").get(0).getMessage()).contains("evictor-fails");
        }
        server.awaitOpen(0, BOUND);
    }

    @Test
    void aHealthCheckThatSuspendsThePoolFromTheEvictorLeavesNoThreadRunning() throws Exception {
        CompletableFuture<ConnPool> self = new CompletableFuture<>();
        AtomicBoolean once = new AtomicBoolean();
        CompletableFuture<Boolean> flagAfterSuspend = new CompletableFuture<>();
        HealthCheck suspends = s -> {
            if (Thread.currentThread().getName().endsWith("-housekeeper") && once.compareAndSet(false, true)) {
                self.join().suspend();
                flagAfterSuspend.complete(Thread.currentThread().isInterrupted());
            }
        };
        try (ConnPool pool = ConnPool.create("suspends-from-evictor", ConnPoolConfig.builder().minSize(1).maxSize(1)
                .healthCheck(suspends).evictInterval(Duration.ofMillis(20)).build(), tcp())) {
            self.complete(pool);
            assertThat(flagAfterSuspend.get(5, TimeUnit.SECONDS)).as("interrupt flag after suspend()").isFalse();
            // the run that suspended ends by itself, and with it the housekeeper
            Await.until(() -> !NoPoolThreads.poolThreads().contains("suspends-from-evictor-housekeeper"), BOUND,
                    () -> "threads of the suspended pool: " + NoPoolThreads.poolThreads());
            pool.resume();
            try (PooledConnection c = pool.get(BOUND)) {
                assertThat(c.socket().isClosed()).isFalse();
            }
        }
        server.awaitOpen(0, BOUND);
    }

    private static boolean inFrame(Thread t, String method) {
        return Arrays.stream(t.getStackTrace()).anyMatch(f -> f.getMethodName().equals(method));
    }
}
