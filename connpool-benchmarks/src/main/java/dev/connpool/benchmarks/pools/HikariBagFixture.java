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
 * does, and replaces an entry that fails; with a check window
 * ({@link dev.connpool.benchmarks.PoolShape#healthCheckAfterIdleMillis()}) it skips the check for an
 * entry given back within the window, as HikariPool's alive bypass does (entries then go back
 * through {@link #giveBack}, which stamps them).
 */
@State(Scope.Benchmark)
public class HikariBagFixture extends PoolFixture {

    /** The bag; benchmarks {@link #borrow()} from it and {@code requite} to it. */
    public ConcurrentBag<SocketEntry> bag;
    private boolean validate;
    private long bypassNanos;

    /** A bag entry: a socket and its state word, as HikariCP's PoolEntry. */
    public static final class SocketEntry implements IConcurrentBagEntry {
        private static final AtomicIntegerFieldUpdater<SocketEntry> STATE =
                AtomicIntegerFieldUpdater.newUpdater(SocketEntry.class, "state");

        /** The connection. */
        public final Socket socket;
        private volatile int state;
        // when it was last given back, System.nanoTime() as HikariPool's clock; plain, as PoolEntry's:
        // the bag's state CAS orders it between the giving and the borrowing thread
        private long lastAccessed;

        SocketEntry(Socket socket) {
            this.socket = socket;
            this.lastAccessed = System.nanoTime(); // new counts as used, as in HikariCP
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
        bypassNanos = TimeUnit.MILLISECONDS.toNanos(shape.healthCheckAfterIdleMillis());
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
            if (!validate || usedWithinWindow(e) || alive(e.socket)) {
                return e;
            }
            if (bag.remove(e)) {
                closeQuietly(e.socket);
                bag.add(new SocketEntry(connect()));
            }
        }
    }

    /** HikariPool's alive bypass: an entry used within the window is not checked. */
    private boolean usedWithinWindow(SocketEntry e) {
        return bypassNanos > 0 && System.nanoTime() - e.lastAccessed < bypassNanos;
    }

    /**
     * Gives an entry back stamped with the time, for the check window; {@code bag.requite(entry)}
     * does the same without the stamp where there is no window.
     *
     * @param e an entry from {@link #borrow()}
     */
    public void giveBack(SocketEntry e) {
        e.lastAccessed = System.nanoTime();
        bag.requite(e);
    }

    @Override
    void closePool() {
        bag.close();
        for (SocketEntry e : bag.values()) {
            closeQuietly(e.socket);
        }
    }
}
