package dev.connpool.internal;

/**
 * An intrusive doubly linked FIFO of {@link Waiter}s, guarded by the pool's lock. Removal of a
 * waiter that gives up is O(1), which matters when thousands wait and time out together.
 */
final class WaiterQueue {

    private Waiter head;
    private Waiter tail;
    private int size;

    void addLast(Waiter w) {
        w.prev = tail;
        w.next = null;
        if (tail == null) {
            head = w;
        } else {
            tail.next = w;
        }
        tail = w;
        w.queued = true;
        size++;
    }

    void addFirst(Waiter w) {
        w.next = head;
        w.prev = null;
        if (head == null) {
            tail = w;
        } else {
            head.prev = w;
        }
        head = w;
        w.queued = true;
        size++;
    }

    Waiter head() {
        return head;
    }

    Waiter tail() {
        return tail;
    }

    void remove(Waiter w) {
        if (!w.queued) {
            return;
        }
        if (w.prev == null) {
            head = w.next;
        } else {
            w.prev.next = w.next;
        }
        if (w.next == null) {
            tail = w.prev;
        } else {
            w.next.prev = w.prev;
        }
        w.prev = null;
        w.next = null;
        w.queued = false;
        size--;
    }

    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }
}
