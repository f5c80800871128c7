package dev.connpool.sample.lb;

import dev.connpool.ConnPool;
import dev.connpool.autoconfigure.ConnPools;
import dev.connpool.autoconfigure.health.ConnPoolHealthIndicator;
import dev.connpool.sample.BackendException;
import dev.connpool.sample.LineProtocol;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;

/**
 * Round robin over the pools of {@code sample.lb.backends}, skipping a backend that is down.
 *
 * <p>A backend is down when its pool's last connect failed and the pool keeps itself filled
 * ({@code min-size > 0}, evictor on): the signal the pool's health component reports DOWN on. Such
 * a pool retries in the background every evict interval, and its first successful connect clears
 * the failure, so a backend that comes back is used again within an evict interval, without any
 * request spent on finding out. A pool that does not keep itself filled has no one to retry for
 * it, so it is never skipped on that signal.
 *
 * <p>Each request starts at the next backend in turn and goes to the first one that is up; if that
 * one fails (no connection, or the exchange broke: the signals can lag a backend that just died),
 * it goes to the next; backends that are down are tried last, since their mark can be stale.
 * Retrying on another backend is safe here because the requests are idempotent.
 */
@Component
public class RoundRobin {

    private final List<ConnPool> backends;
    private final Duration replyTimeout;
    private final AtomicInteger next = new AtomicInteger();

    RoundRobin(ConnPools pools, @Value("${sample.lb.backends:backend-1,backend-2}") List<String> names,
            @Value("${sample.reply-timeout:5s}") Duration replyTimeout) {
        this.backends = names.stream().map(String::trim).map(pools::get).toList();
        if (backends.isEmpty()) {
            throw new IllegalArgumentException("sample.lb.backends must name at least one pool");
        }
        this.replyTimeout = replyTimeout;
    }

    /**
     * Whether a backend counts as down.
     *
     * @param pool the backend's pool
     * @return true if its last connect failed and the pool retries on its own: the pool's health
     *         component reports DOWN then ({@link ConnPoolHealthIndicator#isKnownDown(ConnPool)})
     */
    public static boolean isDown(ConnPool pool) {
        return ConnPoolHealthIndicator.isKnownDown(pool);
    }

    /** The backends, in round-robin order. */
    public List<ConnPool> backends() {
        return backends;
    }

    /**
     * Sends a message to the next backend that answers.
     *
     * @param message one line of text
     * @return who answered, and what
     * @throws BackendException 400 for a bad message, 503 if no backend answered
     */
    public Answer send(String message) {
        LineProtocol.validate(message);
        int start = Math.floorMod(next.getAndIncrement(), backends.size());
        List<ConnPool> up = new ArrayList<>(backends.size());
        List<ConnPool> down = new ArrayList<>(backends.size());
        for (int i = 0; i < backends.size(); i++) {
            ConnPool pool = backends.get((start + i) % backends.size());
            (isDown(pool) ? down : up).add(pool);
        }
        up.addAll(down);
        StringBuilder failures = new StringBuilder();
        for (ConnPool pool : up) {
            try {
                return new Answer(pool.name(), LineProtocol.exchange(pool, message, replyTimeout));
            } catch (BackendException e) {
                failures.append(failures.length() == 0 ? "" : "; ").append(e.detail());
            }
        }
        throw new NoBackendException("no backend answered: " + failures);
    }

    /**
     * One answer.
     *
     * @param backend the pool that served it
     * @param reply what the backend said
     */
    public record Answer(String backend, String reply) {
    }

    static final class NoBackendException extends BackendException {

        private static final long serialVersionUID = 1L;

        NoBackendException(String detail) {
            super(HttpStatus.SERVICE_UNAVAILABLE, detail, null);
        }
    }
}
