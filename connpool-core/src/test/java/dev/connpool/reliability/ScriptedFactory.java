package dev.connpool.reliability;

import dev.connpool.ConnectionFactory;
import dev.connpool.testkit.Interrupts;
import java.io.IOException;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A connection factory that misbehaves on cue (as Stormpot's AlloKit does for allocators): the next
 * connects can be scripted to return null, throw, return an unconnected socket, or block until
 * released; every other connect goes to a real TCP factory.
 */
final class ScriptedFactory implements ConnectionFactory {

    /** One scripted connect. */
    interface Step {
        Socket create(ConnectionFactory real) throws IOException;
    }

    static final Step RETURN_NULL = real -> null;

    static final Step THROW_RUNTIME = real -> {
        throw new IllegalStateException("factory bug");
    };

    static final Step THROW_IO = real -> {
        throw new IOException("backend says no");
    };

    static final Step UNCONNECTED = real -> new Socket();

    private final ConnectionFactory real;
    private final ConcurrentLinkedQueue<Step> script = new ConcurrentLinkedQueue<>();
    private final AtomicInteger calls = new AtomicInteger();

    ScriptedFactory(ConnectionFactory real) {
        this.real = real;
    }

    /** Queues steps for the next connects. */
    ScriptedFactory then(Step... steps) {
        for (Step s : steps) {
            script.add(s);
        }
        return this;
    }

    int calls() {
        return calls.get();
    }

    @Override
    public Socket create() throws IOException {
        calls.incrementAndGet();
        Step s = script.poll();
        return s == null ? real.create() : s.create(real);
    }

    /** A step that blocks the connect until {@link #release()}, then connects for real. */
    static final class Gate implements Step {

        private final CountDownLatch entered = new CountDownLatch(1);
        private final CountDownLatch released = new CountDownLatch(1);

        @Override
        public Socket create(ConnectionFactory real) throws IOException {
            entered.countDown();
            Interrupts.awaitAsIo(released, Duration.ofSeconds(30), "gate never released");
            return real.create();
        }

        void awaitEntered() throws InterruptedException {
            if (!entered.await(10, TimeUnit.SECONDS)) {
                throw new AssertionError("the connect never started");
            }
        }

        void release() {
            released.countDown();
        }
    }
}
