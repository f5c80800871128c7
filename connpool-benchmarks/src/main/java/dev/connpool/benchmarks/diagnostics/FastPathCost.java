package dev.connpool.benchmarks.diagnostics;

import dev.connpool.ConnPool;
import dev.connpool.ConnPoolConfig;
import dev.connpool.ConnectionFactory;
import dev.connpool.PooledConnection;
import dev.connpool.benchmarks.EchoServer;
import dev.connpool.benchmarks.pools.ConnPoolFixture;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.infra.Blackhole;
import stormpot.Allocator;
import stormpot.BasePoolable;
import stormpot.Expiration;
import stormpot.Pool;
import stormpot.Slot;
import stormpot.Timeout;

/**
 * Where the uncontended get + release goes, by thread CPU time (which leaves out time spent
 * waiting for a CPU): connpool
 * with production settings and with the timed checks off, Stormpot, and the atomic operations
 * their fast paths are made of (CAS to claim and CAS to release, as connpool; CAS to claim and a
 * release store, as Stormpot). Single-threaded, best of several rounds, each case in a JVM of its
 * own.
 *
 * <pre>java -cp connpool-benchmarks/target/benchmarks.jar dev.connpool.benchmarks.diagnostics.FastPathCost</pre>
 */
public final class FastPathCost {

    private static final VarHandle WORD;
    private static final int N = 10_000_000;
    private static final int ROUNDS = 9;
    private static final List<String> CASES =
            List.of("connpool", "connpool-untimed", "stormpot", "cas-cas", "cas-store", "threadlocal");

    static {
        try {
            WORD = MethodHandles.lookup().findVarHandle(FastPathCost.class, "word", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @SuppressWarnings("unused")
    private volatile long word;
    /** JMH's sink, outside JMH: keeps results alive without the fence a volatile store costs. */
    private static final Blackhole SINK = new Blackhole(
            "Today's password is swordfish. I understand instantiating Blackholes directly is dangerous.");

    private FastPathCost() {
    }

    /**
     * Prints the costs, each measured in a JVM of its own (as JMH forks), so that one case's
     * profile does not shape the code compiled for the next.
     *
     * @param args none to run every case; one case name to run only that one, in this JVM
     * @throws Exception if the loopback server or a pool cannot be set up
     */
    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            for (String c : CASES) {
                Process p = new ProcessBuilder(java, "-Xms1g", "-Xmx1g", "-cp", System.getProperty("java.class.path"),
                        FastPathCost.class.getName(), c).inheritIO().start();
                if (p.waitFor() != 0) {
                    throw new IllegalStateException(c + " failed");
                }
            }
            return;
        }
        switch (args[0]) {
            case "connpool": connpool(true); break;
            case "connpool-untimed": connpool(false); break;
            case "stormpot": stormpot(); break;
            case "cas-cas": new FastPathCost().atomics(false); break;
            case "cas-store": new FastPathCost().atomics(true); break;
            case "threadlocal": threadLocal(); break;
            default: throw new IllegalArgumentException("cases: " + CASES);
        }
    }

    private static void connpool(boolean timed) throws Exception {
        try (EchoServer server = EchoServer.start()) {
            ConnPoolConfig.Builder config = ConnPoolFixture.production(5, 10);
            if (!timed) {
                config.idleTimeout(Duration.ZERO).maxLifetime(Duration.ZERO);
            }
            try (ConnPool pool = ConnPool.create("fast-path", config.build(),
                    ConnectionFactory.tcp(server.host(), server.port(), Duration.ofSeconds(5)))) {
                CpuClock.measure("connpool get+release, idle timeout and lifetime " + (timed ? "on" : "off"), N, ROUNDS,
                        n -> {
                            for (int i = 0; i < n; i++) {
                                try (PooledConnection c = pool.get()) {
                                    SINK.consume(c.socket());
                                }
                            }
                        });
            }
        }
    }

    private static void stormpot() throws Exception {
        try (EchoServer server = EchoServer.start()) {
            ConnectionFactory sockets = ConnectionFactory.tcp(server.host(), server.port(), Duration.ofSeconds(5));
            Pool<Pooled> pool = Pool.from(new Allocator<Pooled>() {
                @Override
                public Pooled allocate(Slot slot) throws Exception {
                    return new Pooled(slot, sockets.create());
                }

                @Override
                public void deallocate(Pooled p) throws Exception {
                    p.socket.close();
                }
            }).setSize(10).setExpiration(Expiration.never()).setBackgroundExpirationEnabled(false).build();
            Timeout timeout = new Timeout(30, TimeUnit.SECONDS);
            CpuClock.measure("Stormpot claim+release", N, ROUNDS, n -> {
                for (int i = 0; i < n; i++) {
                    Pooled p = pool.claim(timeout);
                    SINK.consume(p.socket);
                    p.release();
                }
            });
            pool.shutdown().await(timeout);
        }
    }

    private void atomics(boolean releaseStore) throws Exception {
        if (releaseStore) {
            CpuClock.measure("CAS + release store (Stormpot's claim and release)", N, ROUNDS, this::casStore);
        } else {
            CpuClock.measure("CAS + CAS (connpool's claim and release)", N, ROUNDS, this::casCas);
        }
    }

    private static void threadLocal() throws Exception {
        ThreadLocal<Object> local = ThreadLocal.withInitial(Object::new);
        CpuClock.measure("ThreadLocal.get()", N, ROUNDS, n -> {
            for (int i = 0; i < n; i++) {
                SINK.consume(local.get());
            }
        });
    }

    private void casCas(int n) {
        for (int i = 0; i < n; i++) {
            long s = (long) WORD.getVolatile(this);
            if (WORD.compareAndSet(this, s, s + 5)) {
                WORD.compareAndSet(this, s + 5, s + 4);
            }
        }
    }

    private void casStore(int n) {
        for (int i = 0; i < n; i++) {
            long s = (long) WORD.getVolatile(this);
            if (WORD.compareAndSet(this, s, s + 5)) {
                WORD.setRelease(this, s + 4);
            }
        }
    }

    private static final class Pooled extends BasePoolable {
        final Socket socket;

        Pooled(Slot slot, Socket socket) {
            super(slot);
            this.socket = socket;
        }
    }
}
