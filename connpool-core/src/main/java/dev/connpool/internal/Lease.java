package dev.connpool.internal;

import dev.connpool.PooledConnection;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;

/**
 * One lease of one slot. A new object per lease, so a lease closed twice, or used after close,
 * can never touch the next lease of the same socket; it carries the slot's lease sequence, so
 * even two threads closing it at once release it only once.
 *
 * <p>It is small and never stored by the pool, so when a caller keeps it local (try-with-resources)
 * the JIT's escape analysis removes the allocation altogether.
 */
final class Lease implements PooledConnection {

    private final PoolEngine engine;
    private final Slot slot;
    private final long seq;
    /** {@code System.nanoTime()} when lent, if a metrics tracker wants usage times; else 0. */
    private final long leasedAt;
    private boolean unusable;
    private boolean closed;

    Lease(PoolEngine engine, Slot slot, long seq, long leasedAt) {
        this.engine = engine;
        this.slot = slot;
        this.seq = seq;
        this.leasedAt = leasedAt;
    }

    @Override
    public Socket socket() {
        if (closed) {
            throw new IllegalStateException("this connection was returned to pool '" + engine.name + "' already");
        }
        return slot.socket;
    }

    @Override
    public InputStream getInputStream() throws IOException {
        return socket().getInputStream();
    }

    @Override
    public OutputStream getOutputStream() throws IOException {
        return socket().getOutputStream();
    }

    @Override
    public void markUnusable() {
        if (!closed) {
            unusable = true;
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        engine.release(slot, seq, unusable, leasedAt);
    }

    @Override
    public String toString() {
        return "PooledConnection[pool=" + engine.name + ", " + slot.socket + (closed ? ", returned" : "") + "]";
    }
}
