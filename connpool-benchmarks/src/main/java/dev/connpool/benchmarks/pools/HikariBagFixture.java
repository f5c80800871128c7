package dev.connpool.benchmarks.pools;

import com.zaxxer.hikari.util.ConcurrentBag;
import com.zaxxer.hikari.util.ConcurrentBag.IConcurrentBagEntry;

import java.net.Socket;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/**
 * HikariCP's {@link ConcurrentBag}, the lock-free structure at the heart of HikariPool, holding
 * sockets instead of JDBC connections. It is filled to {@code maxSize} up front, as HikariCP's
 * default (minimumIdle = maximumPoolSize) keeps it. The bag has no validation hook of its own:
 * with a health check, {@link #borrow()} checks what it borrowed, as HikariPool's getConnection
 * does, and replaces an entry that fails.
 */
@State(Scope.Benchmark)
public class HikariBagFixture extends PoolFixture {

    /** The bag; benchmarks {@link #borrow()} from it and {@code requite} to it. */
    public ConcurrentBag<SocketEntry> bag;
    private boolean validate;

    /** A bag entry: a socket and its state word, as HikariCP's PoolEntry. */
    public static final class SocketEntry implements IConcurrentBagEntry {
        private static final AtomicIntegerFieldUpdater<SocketEntry> STATE =
                AtomicIntegerFieldUpdater.newUpdater(SocketEntry.class, "state");

        /** The connection. */
        public final Socket socket;
        private volatile int state;

        SocketEntry(Socket socket) {
            this.socket = socket;
        }

        @Override
        public boolean compareAndSet(int expect, int update) {
            return STATE.compareAndSet(this, expect, update);
        }

        @Override
        public void setState(int update) {
            STATE.set(this, update);
        }

        @Override
        public int getState() {
            return state;
        }
    }

    @Override
    void openPool() {
        validate = shape.healthCheck();
        bag = new ConcurrentBag<>(waiting -> { }); // full from the start: nothing to add on demand
        for (int i = 0; i < shape.maxSize(); i++) {
            bag.add(new SocketEntry(connect()));
        }
    }

    /**
     * Borrows an entry, checked if the scenario asks for it.
     *
     * @return the entry, to be given back with {@code bag.requite(entry)}
     * @throws InterruptedException if interrupted while waiting
     */
    public SocketEntry borrow() throws InterruptedException {
        for (;;) {
            SocketEntry e = got(bag.borrow(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS));
            if (!validate || alive(e.socket)) {
                return e;
            }
            if (bag.remove(e)) {
                closeQuietly(e.socket);
                bag.add(new SocketEntry(connect()));
            }
        }
    }

    @Override
    void closePool() {
        bag.close();
        for (SocketEntry e : bag.values()) {
            closeQuietly(e.socket);
        }
    }
}
