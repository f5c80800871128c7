package dev.connpool.internal;

import dev.connpool.CloseReason;
import dev.connpool.tcp.Sockets;

import java.net.Socket;

/**
 * The one path that closes a pooled socket. Its bookkeeping runs in {@code finally} and it catches
 * {@link Throwable}: a socket whose {@code close()} throws, even an {@link Error}, still frees its
 * room and is still counted, so a broken socket can never shrink the pool for good nor stop a
 * shutdown half way.
 *
 * <p>A socket is closed before its room is freed, so the pool never has more than {@code maxSize}
 * sockets open. A forced close (a connection still lent when the shutdown grace ends) aborts the
 * TCP connection first ({@link Sockets#abort}), so it never waits for a lock that the socket's
 * user holds, as {@code SSLSocket.close()} does for a writer blocked on a full send buffer.
 */
final class Closer {

    private final PoolEngine pool;

    Closer(PoolEngine pool) {
        this.pool = pool;
    }

    /**
     * Closes a slot the caller holds and frees its room.
     *
     * @return false if the lease was stale and nothing happened
     */
    boolean destroy(Slot s, long seq, CloseReason reason) {
        Bag bag = pool.bag;
        bag.lock.lock();
        try {
            if (!bag.markRemovedLocked(s, seq)) {
                return false;
            }
            pool.capacity.dying++;
        } finally {
            bag.lock.unlock();
        }
        closeAndRetire(s, reason);
        return true;
    }

    /**
     * Closes a slot that failed its check for a caller who had waited, and queues that caller again,
     * first in line, under the same lock that takes the slot out: when the slot's room is freed,
     * the queue is served with the caller at its head, so the connect that room allows is the
     * caller's, not the next waiter's. The queue is not served before that: with the room still
     * taken, a pool backing off from failed connects would find no room for a probe and refuse the
     * caller. Nothing is queued if the lease was stale or the pool has closed (the caller then looks
     * again as usual).
     *
     * @param since when the caller first queued, which its new place keeps
     * @return the caller's new place in the queue, or null
     */
    Waiter destroyAndRequeue(Slot s, long seq, CloseReason reason, long since) {
        Bag bag = pool.bag;
        Waiter w;
        bag.lock.lock();
        try {
            if (!bag.markRemovedLocked(s, seq)) {
                return null;
            }
            pool.capacity.dying++;
            w = bag.closed ? null : bag.queueLocked(true, since);
        } finally {
            bag.lock.unlock();
        }
        closeAndRetire(s, reason);
        return w;
    }

    /** Closes a slot for idling too long, unless that would take the pool below minSize. */
    boolean destroyIfAboveMin(Slot s, long seq) {
        Bag bag = pool.bag;
        Capacity room = pool.capacity;
        bag.lock.lock();
        try {
            if (room.open - room.dying <= room.minSize || !bag.markRemovedLocked(s, seq)) {
                return false;
            }
            room.dying++;
        } finally {
            bag.lock.unlock();
        }
        closeAndRetire(s, CloseReason.IDLE);
        return true;
    }

    /** Closes removed slots (counted as dying) and frees their room. */
    void closeAndRetire(Slot s, CloseReason reason) {
        try {
            closeQuietly(s.socket);
        } finally {
            Bag bag = pool.bag;
            bag.lock.lock();
            try {
                pool.capacity.retireLocked(s, reason);
            } finally {
                bag.lock.unlock();
            }
        }
    }

    /** Closes removed slots (counted as dying) and frees their room, one by one. */
    void closeAndRetireAll(Slot[] slots, CloseReason reason) {
        for (Slot s : slots) {
            closeAndRetire(s, reason);
        }
    }

    /** Closes slots already taken out of the pool's books. */
    void closeAll(Slot[] slots) {
        if (slots != null) {
            for (Slot s : slots) {
                closeQuietly(s.socket);
            }
        }
    }

    /** Aborts slots taken from their users at shutdown, without waiting on their locks. */
    void abortAll(Slot[] slots) {
        if (slots != null) {
            for (Slot s : slots) {
                try {
                    Sockets.abort(s.socket);
                } catch (Throwable t) {
                    logFailedClose(t);
                }
            }
        }
    }

    /** Closes a socket; whatever it throws is logged, never passed on. */
    static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (Throwable t) {
            logFailedClose(t);
        }
    }

    private static void logFailedClose(Throwable t) {
        System.Logger.Level level = t instanceof java.io.IOException ? System.Logger.Level.DEBUG
                : System.Logger.Level.WARNING;
        PoolEngine.LOG.log(level, "closing a pooled socket failed", t);
    }
}
