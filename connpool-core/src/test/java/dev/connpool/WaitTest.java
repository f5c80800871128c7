package dev.connpool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.connpool.testkit.Await;
import dev.connpool.testkit.EchoBackendTest;
import dev.connpool.testkit.TestServer;
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
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                int id = i;
                Thread t = new Thread(() -> {
                    try (PooledConnection c = pool.get(Duration.ofSeconds(10))) {
                        servedOrder.add(id);
                        servedSockets.add(c.socket());
                    } catch (IOException e) {
                        throw new AssertionError(e);
                    }
                }, "waiter-" + i);
                t.start();
                threads.add(t);
                int queued = i + 1;
                Await.until(() -> pool.stats().waiters() == queued, Duration.ofSeconds(5), "waiter " + id + " queued");
            }
            held.close();
            for (Thread t : threads) {
                t.join(10_000);
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
            Thread waiter = new Thread(() -> {
                try (PooledConnection c = pool.get(Duration.ofSeconds(10))) {
                    order.add("waiter");
                } catch (IOException e) {
                    throw new AssertionError(e);
                }
            });
            waiter.start();
            Await.until(() -> pool.stats().waiters() == 1, Duration.ofSeconds(5), "waiter queued");
            // a running thread may take a return only while the oldest waiter has waited less than
            // the barging bound (about a millisecond); this waiter has waited far longer
            Thread.sleep(50);
            // the holder returns and immediately asks again: it must queue behind the waiter
            held.close();
            try (PooledConnection again = pool.get(Duration.ofSeconds(10))) {
                order.add("returner");
            }
            waiter.join(10_000);
            assertThat(order).containsExactly("waiter", "returner");
        }
    }

    @Test
    void roomFreedByAnUnusableConnectionLetsAWaiterOpenANewOne() throws Exception {
        try (ConnPool pool = pool("room", ConnPoolConfig.builder().maxSize(1))) {
            PooledConnection held = pool.get();
            Socket broken = held.socket();
            List<Socket> got = new CopyOnWriteArrayList<>();
            Thread waiter = new Thread(() -> {
                try (PooledConnection c = pool.get(Duration.ofSeconds(10))) {
                    got.add(c.socket());
                } catch (IOException e) {
                    throw new AssertionError(e);
                }
            });
            waiter.start();
            Await.until(() -> pool.stats().waiters() == 1, Duration.ofSeconds(5), "waiter queued");
            held.markUnusable();
            held.close();
            waiter.join(10_000);
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
            List<Thread> waiters = new ArrayList<>();
            List<Throwable> errors = new CopyOnWriteArrayList<>();
            for (int i = 0; i < 2; i++) {
                Thread t = new Thread(() -> {
                    try (PooledConnection c = pool.get(Duration.ofSeconds(10))) {
                        assertThat(c).isNotNull();
                    } catch (Throwable e) {
                        errors.add(e);
                    }
                });
                t.start();
                waiters.add(t);
            }
            Await.until(() -> pool.stats().waiters() == 2, Duration.ofSeconds(5), "two waiters");
            long start = System.nanoTime();
            assertThatThrownBy(() -> pool.get(Duration.ofSeconds(10)))
                    .isInstanceOf(TooManyWaitersException.class)
                    .hasMessageContaining("max-waiters").hasMessageContaining("2");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));
            held.close();
            for (Thread t : waiters) {
                t.join(10_000);
            }
            assertThat(errors).isEmpty();
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
