package dev.connpool;

import static org.assertj.core.api.Assertions.assertThat;

import dev.connpool.testkit.Await;
import dev.connpool.testkit.Echo;
import dev.connpool.testkit.EchoBackendTest;
import dev.connpool.testkit.Gc;
import dev.connpool.testkit.NoPoolThreads;
import dev.connpool.testkit.Stress;
import java.lang.ref.WeakReference;
import java.lang.reflect.Method;
import java.net.Socket;
import java.net.URL;
import java.net.URLClassLoader;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A closed pool leaves nothing behind in the threads that used it: no thread-local (the pool's
 * per-thread hint, a reusable waiter and its last outcome) keeps its sockets reachable, and no
 * static thread-local holding the library's objects pins the class loader that loaded it (a web
 * application's, across redeploys). Each test uses the pool on threads that live on afterwards,
 * drops every reference, and waits for the garbage collector.
 */
@Timeout(120)
class ThreadLocalLeakTest extends EchoBackendTest {

    private static final Duration BOUND = Duration.ofSeconds(5);
    private static final Duration GC_BOUND = Duration.ofSeconds(20);

    /** A thread that outlives the pools it uses, as a server's worker threads do. */
    private ExecutorService longLived;
    /** A second party, to hold connections while a long-lived thread waits; ends before each check. */
    private ExecutorService holder;

    @BeforeEach
    void threads() {
        longLived = Executors.newSingleThreadExecutor(r -> new Thread(r, "long-lived-user"));
        holder = Executors.newSingleThreadExecutor(r -> new Thread(r, "holder"));
    }

    @AfterEach
    void stopThreads() throws InterruptedException {
        holder.shutdownNow();
        longLived.shutdownNow();
        assertThat(holder.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        assertThat(longLived.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }

    private Thread longLivedThread() throws Exception {
        return longLived.submit(Thread::currentThread).get();
    }

    private void endHolder() throws InterruptedException {
        holder.shutdown();
        assertThat(holder.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void aClosedPoolsSocketsAreNotKeptReachableByTheThreadThatUsedIt() throws Exception {
        Thread user = longLivedThread();
        List<WeakReference<Socket>> sockets = useAndClosePool();
        endHolder();
        assertThat(sockets).hasSizeGreaterThanOrEqualTo(2);
        Gc.awaitCollected(sockets, GC_BOUND, () -> "sockets of a closed pool, kept by the thread that used it");
        assertThat(user.isAlive()).as("the thread that used the pool lives on").isTrue();
    }

    /**
     * On one long-lived thread: several gets and returns, and a get that waits until the holder
     * returns a connection. Then closes the pool. Nothing but weak references comes out of here.
     */
    private List<WeakReference<Socket>> useAndClosePool() throws Exception {
        List<WeakReference<Socket>> sockets = new CopyOnWriteArrayList<>();
        ConnPool pool = ConnPool.create("thread-local-leak", ConnPoolConfig.builder().maxSize(2)
                .healthCheck(HealthCheck.liveness()).build(), tcp());
        longLived.submit(() -> {
            for (int i = 0; i < 5; i++) {
                try (PooledConnection c = pool.get(BOUND)) {
                    sockets.add(new WeakReference<>(c.socket()));
                    Echo.roundTrip(c);
                }
            }
            return null;
        }).get();
        List<PooledConnection> held = holder.submit(() -> List.of(pool.get(BOUND), pool.get(BOUND))).get();
        held.forEach(c -> sockets.add(new WeakReference<>(c.socket())));
        Future<?> waiting = longLived.submit(() -> {
            try (PooledConnection c = pool.get(BOUND)) {
                Echo.roundTrip(c);
            }
            return null;
        });
        Await.until(() -> pool.stats().waiters() == 1, BOUND, "the long-lived thread waits");
        holder.submit(() -> {
            held.forEach(PooledConnection::close);
            return null;
        }).get();
        waiting.get(BOUND.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(pool.stats().waitCount()).as("a get waited").isGreaterThanOrEqualTo(1);
        pool.close();
        server.awaitOpen(0, BOUND);
        return sockets;
    }

    @Test
    void aClosedPoolsClassLoaderIsCollectedWhileTheThreadThatUsedItLives() throws Exception {
        Thread user = longLivedThread();
        WeakReference<ClassLoader> loader = useAPoolFromAnIsolatedLoader();
        endHolder();
        Gc.awaitCollected(List.of(loader), GC_BOUND,
                () -> "the class loader of connpool, pinned by a thread-local of the thread that used a pool");
        assertThat(user.isAlive()).as("the thread that used the pool lives on").isTrue();
    }

    /**
     * Loads connpool-core's classes afresh (from its {@code target/classes}, parent the platform
     * loader), and through reflection, on the long-lived thread, creates a pool, gets and returns,
     * waits for a connection the holder returns, and closes the pool. Only a weak reference to the
     * loader comes out of here.
     */
    private WeakReference<ClassLoader> useAPoolFromAnIsolatedLoader() throws Exception {
        URL classes = ConnPool.class.getProtectionDomain().getCodeSource().getLocation();
        URLClassLoader loader = new URLClassLoader("isolated-connpool", new URL[] {classes},
                ClassLoader.getPlatformClassLoader());
        Isolated lib = new Isolated(loader);
        assertThat(lib.poolClass).isNotSameAs(ConnPool.class);
        Object pool = lib.create(server.host(), server.port());
        longLived.submit(() -> {
            for (int i = 0; i < 5; i++) {
                lib.close(lib.get(pool));
            }
            return null;
        }).get();
        Object held = holder.submit(() -> lib.get(pool)).get();
        Future<?> waiting = longLived.submit(() -> {
            lib.close(lib.get(pool));
            return null;
        });
        Await.until(() -> lib.waiters(pool) == 1, BOUND, "the long-lived thread waits");
        holder.submit(() -> {
            lib.close(held);
            return null;
        }).get();
        waiting.get(BOUND.toMillis(), TimeUnit.MILLISECONDS);
        lib.closePool(pool);
        server.awaitOpen(0, BOUND);
        loader.close();
        return new WeakReference<>(loader);
    }

    /** connpool's public API, through reflection on classes of another loader. */
    private static final class Isolated {
        final Class<?> poolClass;
        private final Class<?> configClass;
        private final Class<?> factoryClass;
        private final Class<?> checkClass;
        private final Method get;
        private final Method leaseClose;
        private final Method stats;
        private final Method waiters;
        private final Method close;

        Isolated(ClassLoader loader) throws Exception {
            poolClass = loader.loadClass("dev.connpool.ConnPool");
            configClass = loader.loadClass("dev.connpool.ConnPoolConfig");
            factoryClass = loader.loadClass("dev.connpool.ConnectionFactory");
            checkClass = loader.loadClass("dev.connpool.HealthCheck");
            get = poolClass.getMethod("get", Duration.class);
            leaseClose = loader.loadClass("dev.connpool.PooledConnection").getMethod("close");
            stats = poolClass.getMethod("stats");
            waiters = loader.loadClass("dev.connpool.PoolStats").getMethod("waiters");
            close = poolClass.getMethod("close");
        }

        Object create(String host, int port) throws Exception {
            Object builder = configClass.getMethod("builder").invoke(null);
            Class<?> b = builder.getClass();
            b.getMethod("maxSize", int.class).invoke(builder, 1);
            b.getMethod("healthCheck", checkClass).invoke(builder, checkClass.getMethod("liveness").invoke(null));
            Object config = b.getMethod("build").invoke(builder);
            Object factory = factoryClass.getMethod("tcp", String.class, int.class, Duration.class)
                    .invoke(null, host, port, BOUND);
            return poolClass.getMethod("create", String.class, configClass, factoryClass)
                    .invoke(null, "isolated", config, factory);
        }

        Object get(Object pool) throws Exception {
            return get.invoke(pool, BOUND);
        }

        void close(Object lease) throws Exception {
            leaseClose.invoke(lease);
        }

        int waiters(Object pool) {
            try {
                return (int) waiters.invoke(stats.invoke(pool));
            } catch (ReflectiveOperationException e) {
                throw new AssertionError(e);
            }
        }

        void closePool(Object pool) throws Exception {
            close.invoke(pool);
        }
    }

    @Test
    @Stress
    void aThousandPoolsUsedAndClosedOnTheSameThreadsLeaveNothingBehind() throws Exception {
        AtomicInteger n = new AtomicInteger();
        ExecutorService four = Executors.newFixedThreadPool(4, r -> new Thread(r, "many-pools-" + n.incrementAndGet()));
        try {
            List<Thread> users = new ArrayList<>();
            List<WeakReference<Socket>> lastSockets = useAThousandPools(four, users);
            assertThat(NoPoolThreads.poolThreads()).as("pool threads left").isEmpty();
            server.awaitOpen(0, BOUND);
            assertThat(server.accepted()).isGreaterThanOrEqualTo(1000);
            Gc.awaitCollected(lastSockets, GC_BOUND,
                    () -> "sockets of the last pools, kept by the threads that used them");
            assertThat(users).as("the threads that used the pools live on").allMatch(Thread::isAlive);
        } finally {
            four.shutdownNow();
            assertThat(four.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        }
    }

    /** 1,000 pools, 250 on each of the four long-lived threads; returns the sockets of each thread's last pool. */
    private List<WeakReference<Socket>> useAThousandPools(ExecutorService four, List<Thread> users)
            throws Exception {
        List<WeakReference<Socket>> last = new CopyOnWriteArrayList<>();
        List<Future<?>> runs = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            int thread = t;
            runs.add(four.submit(() -> {
                synchronized (users) {
                    users.add(Thread.currentThread());
                }
                for (int i = 0; i < 250; i++) {
                    try (ConnPool pool = ConnPool.create("many-" + thread + "-" + i, ConnPoolConfig.builder()
                            .maxSize(2).evictInterval(Duration.ofSeconds(30)).build(), tcp())) {
                        for (int j = 0; j < 2; j++) {
                            try (PooledConnection c = pool.get(BOUND)) {
                                Echo.roundTrip(c);
                                if (i == 249) {
                                    last.add(new WeakReference<>(c.socket()));
                                }
                            }
                        }
                    }
                }
                return null;
            }));
        }
        for (Future<?> f : runs) {
            f.get(90, TimeUnit.SECONDS);
        }
        return last;
    }
}
