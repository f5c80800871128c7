package dev.connpool.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The waiters' FIFO: order, a retry's place at the head, and O(1) removal from anywhere (a waiter
 * that times out or is interrupted in the middle of the queue), which leaves the rest in order.
 */
class WaiterQueueTest {

    private final PoolLock lock = new PoolLock();

    private Waiter waiter() {
        return new Waiter(System.nanoTime(), lock);
    }

    private static List<Waiter> forward(WaiterQueue q) {
        List<Waiter> out = new ArrayList<>();
        for (Waiter w = q.head(); w != null; w = w.next) {
            out.add(w);
        }
        return out;
    }

    private static List<Waiter> backward(WaiterQueue q) {
        List<Waiter> out = new ArrayList<>();
        for (Waiter w = q.tail(); w != null; w = w.prev) {
            out.add(0, w);
        }
        return out;
    }

    private static void assertQueue(WaiterQueue q, Waiter... expected) {
        assertThat(forward(q)).containsExactly(expected);
        assertThat(backward(q)).as("the links back agree").containsExactly(expected);
        assertThat(q.size()).isEqualTo(expected.length);
        assertThat(q.isEmpty()).isEqualTo(expected.length == 0);
        for (Waiter w : expected) {
            assertThat(w.queued).isTrue();
        }
    }

    @Test
    void waitersLeaveInTheOrderTheyCame() {
        WaiterQueue q = new WaiterQueue();
        assertQueue(q);
        assertThat(q.head()).isNull();
        assertThat(q.tail()).isNull();
        Waiter a = waiter();
        Waiter b = waiter();
        Waiter c = waiter();
        q.addLast(a);
        assertQueue(q, a);
        q.addLast(b);
        q.addLast(c);
        assertQueue(q, a, b, c);
        q.remove(a);
        assertQueue(q, b, c);
        assertThat(a.queued).isFalse();
        assertThat(a.next).isNull();
        assertThat(a.prev).isNull();
        q.remove(b);
        q.remove(c);
        assertQueue(q);
        assertThat(q.head()).isNull();
        assertThat(q.tail()).isNull();
    }

    @Test
    void aRetryGoesFirstInLineEvenInAnEmptyQueue() {
        WaiterQueue q = new WaiterQueue();
        Waiter retry = waiter();
        q.addFirst(retry);
        assertQueue(q, retry);
        assertThat(q.tail()).isSameAs(retry);
        Waiter later = waiter();
        q.addLast(later);
        assertQueue(q, retry, later);
        Waiter again = waiter();
        q.addFirst(again);
        assertQueue(q, again, retry, later);
    }

    @Test
    void removalFromTheMiddleOrTheEndKeepsTheRestInOrder() {
        WaiterQueue q = new WaiterQueue();
        Waiter a = waiter();
        Waiter b = waiter();
        Waiter c = waiter();
        Waiter d = waiter();
        q.addLast(a);
        q.addLast(b);
        q.addLast(c);
        q.addLast(d);
        q.remove(b);
        assertQueue(q, a, c, d);
        q.remove(d);
        assertQueue(q, a, c);
        assertThat(q.tail()).isSameAs(c);
        // a waiter removed already (served, then cancelling) changes nothing
        q.remove(b);
        assertQueue(q, a, c);
        // and one may queue again after it left
        q.addLast(b);
        assertQueue(q, a, c, b);
    }
}
