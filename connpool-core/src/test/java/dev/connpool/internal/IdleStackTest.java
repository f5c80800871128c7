package dev.connpool.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.Socket;
import org.junit.jupiter.api.Test;

/**
 * The idle stack's order and bookkeeping, on slots alone (their sockets are never touched here, so
 * they are plain unconnected ones): LIFO claims, ghosts skipped and kept, the longest idle taken
 * first when the pool sheds connections, and room made when the pool grows.
 */
class IdleStackTest {

    private static Slot available() {
        return new Slot(new Socket(), CoarseClock.precise(), 0, Slot.state(0, Slot.AVAILABLE));
    }

    @Test
    void claimsTakeTheMostRecentlyPushedFirstAndSkipWhatIsNotAvailable() {
        IdleStack stack = new IdleStack(4);
        Slot bottom = available();
        Slot middle = available();
        Slot top = available();
        stack.push(bottom);
        stack.push(middle);
        stack.push(top);
        assertThat(stack.countAvailable()).isEqualTo(3);
        assertThat(stack.hasAvailable()).isTrue();
        // a claim in place (a thread's hint) leaves a ghost entry: not claimable, not counted
        assertThat(stack.claimAnyInPlace()).isSameAs(top);
        assertThat(Slot.bitsOf(top.state())).isEqualTo(Slot.GHOST);
        assertThat(stack.countAvailable()).isEqualTo(2);
        assertThat(stack.availableBottomUp()).containsExactly(bottom, middle);
        // a claim under the lock pops the topmost available one, with a new lease sequence
        long seqBefore = Slot.seqOf(middle.state());
        assertThat(stack.claimTop()).isSameAs(middle);
        assertThat(Slot.bitsOf(middle.state())).isEqualTo(Slot.BORROWED);
        assertThat(Slot.seqOf(middle.state())).isEqualTo(seqBefore + 1);
        assertThat(stack.claimTop()).isSameAs(bottom);
        assertThat(stack.claimTop()).as("only the ghost is left").isNull();
        assertThat(stack.claimAnyInPlace()).isNull();
        assertThat(stack.hasAvailable()).isFalse();
        assertThat(stack.countAvailable()).isZero();
        // the ghost's entry is still there until removed
        stack.remove(top);
        assertThatThrownBy(() -> stack.remove(top)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("not in idle stack")
                .hasMessageContaining("Slot[").hasMessageContaining("bits=" + Slot.GHOST); // names the slot

    }

    @Test
    void sheddingTakesTheLongestIdleFirstAndLeavesGhosts() {
        IdleStack stack = new IdleStack(4);
        Slot oldest = available();
        Slot ghost = available();
        Slot newer = available();
        Slot newest = available();
        stack.push(oldest);
        stack.push(ghost);
        stack.push(newer);
        stack.push(newest);
        assertThat(ghost.claimInPlace()).isPositive();
        Slot[] two = stack.removeAvailable(2);
        assertThat(two).containsExactly(oldest, newer);
        assertThat(Slot.bitsOf(oldest.state())).isEqualTo(Slot.REMOVED);
        assertThat(Slot.bitsOf(newer.state())).isEqualTo(Slot.REMOVED);
        assertThat(stack.availableBottomUp()).containsExactly(newest);
        assertThat(stack.removeAllAvailable()).containsExactly(newest);
        assertThat(stack.removeAllAvailable()).isEmpty();
        assertThat(stack.countAvailable()).isZero();
        stack.remove(ghost); // ghosts stay until their holder's put-back or destroy takes them
    }

    @Test
    void growingKeepsTheEntriesInOrder() {
        IdleStack stack = new IdleStack(2);
        Slot a = available();
        Slot b = available();
        stack.push(a);
        stack.push(b);
        stack.ensureCapacity(1); // never shrinks
        stack.ensureCapacity(4);
        Slot c = available();
        Slot d = available();
        stack.push(c);
        stack.push(d);
        assertThat(stack.availableBottomUp()).containsExactly(a, b, c, d);
        assertThat(stack.claimTop()).isSameAs(d);
        assertThat(stack.claimAnyInPlace()).isSameAs(c);
    }

    @Test
    void theBottomEntryIsSeenByTheLockFreeScans() {
        // the longest idle connection sits at index 0: a scan that stops above it would call a
        // pool with one idle connection under a lent one empty
        IdleStack stack = new IdleStack(2);
        Slot bottom = available();
        Slot lent = available();
        stack.push(bottom);
        stack.push(lent);
        assertThat(lent.claimInPlace()).isPositive();
        assertThat(stack.hasAvailable()).isTrue();
        assertThat(stack.claimAnyInPlace()).isSameAs(bottom);
        assertThat(stack.hasAvailable()).isFalse();
        assertThat(stack.claimAnyInPlace()).isNull();
    }
}
