package dev.connpool.benchmarks.pools;

import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import stormpot.Allocator;
import stormpot.BasePoolable;
import stormpot.Expiration;
import stormpot.Pool;
import stormpot.Slot;
import stormpot.SlotInfo;
import stormpot.Timeout;

/**
 * Stormpot at its fastest: a fixed-size pool (it has no min/max, so it holds {@code maxSize}),
 * expiration off and no background expiration checks. With a health check, the liveness check is
 * its {@link Expiration}, which Stormpot consults on every claim: its validate-on-borrow hook.
 */
@State(Scope.Benchmark)
public class StormpotFixture extends PoolFixture {

    /** The pool; benchmarks call {@code pool.claim(timeout)} on it. */
    public Pool<PooledSocket> pool;
    /** The bound of every claim, made once as Stormpot intends. */
    public final Timeout timeout = new Timeout(TIMEOUT_SECONDS, TimeUnit.SECONDS);

    /** A pooled loopback socket. */
    public static final class PooledSocket extends BasePoolable {
        /** The connection. */
        public final Socket socket;

        PooledSocket(Slot slot, Socket socket) {
            super(slot);
            this.socket = socket;
        }
    }

    @Override
    void openPool() throws Exception {
        Allocator<PooledSocket> allocator = new Allocator<>() {
            @Override
            public PooledSocket allocate(Slot slot) throws Exception {
                return new PooledSocket(slot, sockets.create());
            }

            @Override
            public void deallocate(PooledSocket poolable) {
                closeQuietly(poolable.socket);
            }
        };
        Expiration<PooledSocket> expiration = shape.healthCheck() ? new LivenessExpiration() : Expiration.never();
        pool = Pool.from(allocator)
                .setSize(shape.maxSize())
                .setExpiration(expiration)
                .setBackgroundExpirationEnabled(false)
                .build();
        // Stormpot allocates in the background: wait until all of them are there
        List<PooledSocket> all = new ArrayList<>();
        for (int i = 0; i < shape.maxSize(); i++) {
            all.add(got(pool.claim(timeout)));
        }
        all.forEach(PooledSocket::release);
    }

    @Override
    void closePool() throws InterruptedException {
        pool.shutdown().await(timeout);
    }

    /** Validate-on-claim: an object whose socket fails the liveness check has expired. */
    static final class LivenessExpiration implements Expiration<PooledSocket> {
        @Override
        public boolean hasExpired(SlotInfo<? extends PooledSocket> info) {
            return !alive(info.getPoolable().socket);
        }
    }
}
