package dev.connpool.internal;

import java.util.Arrays;

/**
 * The idle connections in LIFO order, plus ghost entries of slots lent through a thread's hint.
 * Changed only under the pool's lock. Each slot appears at most once, so {@code maxSize} entries
 * always fit.
 *
 * <p>{@link #claimAnyInPlace()} reads the entries without the lock. That is safe because the slot's
 * state word, not the stack, decides who holds a slot: a racy read may see an entry twice, or one
 * just removed, but only a slot that is {@link Slot#AVAILABLE} can be claimed, and every available
 * slot is in the stack (a slot is made available only while its entry is there, or under the lock
 * right before its entry is pushed).
 *
 * <p>Most recently returned on top: hot connections stay hot, and connections nobody needs sink
 * to the bottom, where the evictor finds them idle long enough to close.
 */
final class IdleStack {

    /** Replaced by a larger copy (under the lock) when the pool grows; volatile for the lock-free scans. */
    private volatile Slot[] entries;
    /** Written under the lock; volatile so that lock-free scans see a recent depth. */
    private volatile int depth;

    IdleStack(int capacity) {
        entries = new Slot[capacity];
    }

    void push(Slot slot) {
        entries[depth++] = slot;
    }

    /**
     * Makes room for {@code capacity} entries. A lock-free scan may still read the old array: its
     * entries are stale at worst, and only an available slot, which is always in the current
     * array, can be claimed.
     */
    void ensureCapacity(int capacity) {
        if (entries.length < capacity) {
            entries = Arrays.copyOf(entries, capacity);
        }
    }

    /**
     * Claims the topmost available slot and takes its entry off the stack.
     *
     * @return the slot, now {@link Slot#BORROWED} with a new sequence, or null if none is available
     */
    Slot claimTop() {
        Slot[] e = entries;
        for (int i = depth - 1; i >= 0; i--) {
            Slot s = e[i];
            long st = s.state();
            if (Slot.bitsOf(st) == Slot.AVAILABLE
                    && s.cas(st, Slot.state(Slot.seqOf(st) + 1, Slot.BORROWED))) {
                removeAt(i);
                return s;
            }
        }
        return null;
    }

    /**
     * Claims an available slot without the lock, most recently returned first, leaving its entry in
     * place (it becomes a {@link Slot#GHOST}), as a thread's hint does.
     *
     * @return the slot, now held by the caller, or null if none was available
     */
    Slot claimAnyInPlace() {
        Slot[] e = entries;
        for (int i = Math.min(depth, e.length) - 1; i >= 0; i--) {
            Slot s = e[i];
            if (s != null && s.claimInPlace() >= 0) {
                return s;
            }
        }
        return null;
    }

    /** Whether any slot looks available, read without the lock (a hint, not a claim). */
    boolean hasAvailable() {
        Slot[] e = entries;
        for (int i = Math.min(depth, e.length) - 1; i >= 0; i--) {
            Slot s = e[i];
            if (s != null && Slot.bitsOf(s.state()) == Slot.AVAILABLE) {
                return true;
            }
        }
        return false;
    }

    void remove(Slot slot) {
        for (int i = depth - 1; i >= 0; i--) {
            if (entries[i] == slot) {
                removeAt(i);
                return;
            }
        }
        throw new IllegalStateException("slot not in idle stack: " + slot);
    }

    private void removeAt(int i) {
        int tail = depth - i - 1;
        if (tail > 0) {
            System.arraycopy(entries, i + 1, entries, i, tail);
        }
        entries[--depth] = null;
    }

    int countAvailable() {
        int n = 0;
        for (int i = 0; i < depth; i++) {
            if (Slot.bitsOf(entries[i].state()) == Slot.AVAILABLE) {
                n++;
            }
        }
        return n;
    }

    /** The available slots, oldest (bottom) first. */
    Slot[] availableBottomUp() {
        Slot[] out = new Slot[depth];
        int n = 0;
        for (int i = 0; i < depth; i++) {
            if (Slot.bitsOf(entries[i].state()) == Slot.AVAILABLE) {
                out[n++] = entries[i];
            }
        }
        return Arrays.copyOf(out, n);
    }

    /** Takes every available slot off the stack, marking it removed; ghosts stay. */
    Slot[] removeAllAvailable() {
        return removeAvailable(Integer.MAX_VALUE);
    }

    /**
     * Takes up to {@code n} available slots off the stack, the longest idle (bottom) first, marking
     * them removed; ghosts stay.
     */
    Slot[] removeAvailable(int n) {
        Slot[] out = new Slot[Math.min(n, depth)];
        int taken = 0;
        for (int i = 0; i < depth && taken < out.length; ) {
            Slot s = entries[i];
            long st = s.state();
            if (Slot.bitsOf(st) == Slot.AVAILABLE && s.cas(st, Slot.state(Slot.seqOf(st), Slot.REMOVED))) {
                out[taken++] = s;
                removeAt(i);
            } else {
                i++;
            }
        }
        return Arrays.copyOf(out, taken);
    }
}
