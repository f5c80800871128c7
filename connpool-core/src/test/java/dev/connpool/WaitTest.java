package dev.connpool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.connpool.testkit.Await;
import dev.connpool.testkit.Echo;
import dev.connpool.testkit.EchoBackendTest;
import dev.connpool.testkit.Worker;
import java.io.IOException;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** DESIGN §4 get, step 4: waiting at maxSize, first come first served, direct hand-off. */
class WaitTest extends EchoBackendTest {

    private ConnPool pool(String name, ConnPoolConfig.Builder config) throws IOException {
        return ConnPool.create(name, config.build(),
                tcp());
    }

    @Test
    void waitersAreServedFirstComeFirstServedByDirectHandOff() throws Exception {
        try (ConnPool pool = pool("fifo", ConnPoolConfig.builder().maxSize(1).healthCheck(HealthCheck.none()))) {
            PooledConnection held = pool.get();
            Socket only = held.socket();
            List<Integer> servedOrder = new CopyOnWriteArrayList<>();
            List<Socket> servedSockets = new CopyOnWriteArrayList<>();
            List<Worker> waiters = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                int id = i;
                waiters.add(Worker.start("waiter-" + i, () -> {
                    try (PooledConnection c = pool.get(Duration.ofSeconds(10))) {
                        servedOrder.add(id);
                        servedSockets.add(c.socket());
                    }
                }));
                int queued = i + 1;
                Await.until(() -> pool.stats().waiters() == queued, Duration.ofSeconds(5), "waiter " + id + " queued");
            }
            held.close();
            for (Worker w : waiters) {
                w.join(Duration.ofSeconds(10));
            }
            assertThat(servedOrder).containsExactly(0, 1, 2, 3, 4, 5);
            assertThat(servedSockets).allMatch(s -> s == only);
            assertThat(pool.stats().created()).isEqualTo(1);
            assertThat(pool.stats().waitCount()).isEqualTo(6);
            assertThat(pool.stats().waitTime()).isPositive();
        }
    }

    @Test
    void aNewCallerDoesNotOvertakeAWaiterPastTheBargingBound() throws Exception {
        try (ConnPool pool = pool("no-barging", ConnPoolConfig.builder().maxSize(1).healthCheck(HealthCheck.none()))) {
            PooledConnection held = pool.get();
            List<String> order = Collections.synchronizedList(new ArrayList<>());
            Worker waiter = Worker.start("waiter", () -> {
                try (PooledConnection c = pool.get(Duration.ofSeconds(10))) {
                    order.add("waiter");
                }
            });
            Await.until(() -> pool.stats().waiters() == 1, Duration.ofSeconds(5), "waiter queued");
            // a running thread may take a return only while the oldest waiter has waited less than
            // the barging bound (2.5 ms); this waiter has waited far longer
            Thread.sleep(50);
            // the holder returns and immediately asks again: it must queue behind the waiter
            held.close();
            try (PooledConnection again = pool.get(Duration.ofSeconds(10))) {
                order.add("returner");
            }
            waiter.join(Duration.ofSeconds(10));
            assertThat(order).containsExactly("waiter", "returner");
        }
    }

    @Test
    void roomFreedByAnUnusableConnectionLetsAWaiterOpenANewOne() throws Exception {
        try (ConnPool pool = pool("room", ConnPoolConfig.builder().maxSize(1))) {
            PooledConnection held = pool.get();
            Socket broken = held.socket();
            List<Socket> got = new CopyOnWriteArrayList<>();
            Worker waiter = Worker.start("waiter", () -> {
                try (PooledConnection c = pool.get(Duration.ofSeconds(10))) {
                    got.add(c.socket());
                }
            });
            Await.until(() -> pool.stats().waiters() == 1, Duration.ofSeconds(5), "waiter queued");
            held.markUnusable();
            held.close();
            waiter.join(Duration.ofSeconds(10));
            assertThat(got).hasSize(1);
            assertThat(got.get(0)).isNotSameAs(broken);
            assertThat(broken.isClosed()).isTrue();
            assertThat(pool.stats().unusableClosed()).isEqualTo(1);
            assertThat(pool.stats().created()).isEqualTo(2);
        }
    }

    @Test
    void maxWaitersLimitsTheQueueAndFailsAtOnce() throws Exception {
        try (ConnPool pool = pool("max-waiters", ConnPoolConfig.builder().maxSize(1).maxWaiters(2))) {
            PooledConnection held = pool.get();
            List<Worker> waiters = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                waiters.add(Worker.start("waiter-" + i, () -> {
                    try (PooledConnection c = pool.get(Duration.ofSeconds(10))) {
                        Echo.roundTrip(c); // each served in turn with a working connection
                    }
                }));
            }
            Await.until(() -> pool.stats().waiters() == 2, Duration.ofSeconds(5), "two waiters");
            long start = System.nanoTime();
            assertThatThrownBy(() -> pool.get(Duration.ofSeconds(10)))
                    .isInstanceOf(TooManyWaitersException.class)
                    .hasMessageContaining("max-waiters").hasMessageContaining("2");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("at once, not after the 10 s")
                    .isLessThan(Duration.ofSeconds(5));
            held.close();
            for (Worker w : waiters) {
                w.join(Duration.ofSeconds(10));
            }
        }
    }

    @Test
    void maxWaitersZeroStillLetsCallersConnectWhileThereIsRoom() throws Exception {
        try (ConnPool pool = pool("no-waiting", ConnPoolConfig.builder().maxSize(2).maxWaiters(0))) {
            PooledConnection a = pool.get();
            PooledConnection b = pool.get();
            assertThatThrownBy(pool::get).isInstanceOf(TooManyWaitersException.class);
            a.close();
            b.close();
        }
    }
}
