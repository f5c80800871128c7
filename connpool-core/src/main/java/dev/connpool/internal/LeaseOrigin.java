package dev.connpool.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;

/**
 * Where and when a lease began, made by {@code get} only while leak detection is on: the stack of
 * the {@code get}, its thread and its time. Whichever comes first settles it, once: the leak scan
 * ({@link #report()}) or the lease's return ({@link #returned()}), so a lease is reported at most
 * once and never after it came back.
 */
final class LeaseOrigin extends Throwable {

    private static final long serialVersionUID = 1L;

    private static final int OUT = 0;
    private static final int REPORTED = 1;
    private static final int RETURNED = 2;

    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(LeaseOrigin.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** The lease's sequence on its slot, so a stale lease cannot settle the next one's origin. */
    final long seq;
    /** The thread that took the lease: held only while the lease is out, never by a returned one. */
    final transient Thread holder;
    /** When the lease began, on the engine's clock ({@link CoarseClock#precise()}). */
    final long since;

    @SuppressWarnings("unused")
    private volatile int state;

    LeaseOrigin(long seq) {
        super("the get that took the connection", null, false, true);
        this.seq = seq;
        this.holder = Thread.currentThread();
        this.since = CoarseClock.precise();
    }

    /**
     * Claims the report of this lease for the leak scan.
     *
     * @return true the first time, if the lease has not come back
     */
    boolean report() {
        return STATE.compareAndSet(this, OUT, REPORTED);
    }

    /**
     * Marks the lease returned.
     *
     * @return true if it was reported as a leak before
     */
    boolean returned() {
        return (int) STATE.getAndSet(this, RETURNED) == REPORTED;
    }

    /** Drops the pool's own frames from the top of the stack, so that it starts at the caller's code. */
    void trimPoolFrames() {
        StackTraceElement[] frames = getStackTrace();
        int skip = 0;
        while (skip < frames.length && isPoolFrame(frames[skip].getClassName())) {
            skip++;
        }
        if (skip > 0 && skip < frames.length) {
            setStackTrace(Arrays.copyOfRange(frames, skip, frames.length));
        }
    }

    private static boolean isPoolFrame(String className) {
        return className.startsWith("dev.connpool.internal.") || className.equals("dev.connpool.ConnPool");
    }
}
