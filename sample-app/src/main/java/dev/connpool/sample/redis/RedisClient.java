package dev.connpool.sample.redis;

import dev.connpool.ConnPool;
import dev.connpool.sample.BackendException;
import dev.connpool.sample.PooledExchange;
import java.io.BufferedInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

/**
 * Sends Redis commands through the {@code redis} pool, one command per lease. The pool checks each
 * connection with {@code PING} before lending it (application.yml), so a Redis that went away costs
 * a failed {@code get} (503), not a failed command.
 */
@Component
public class RedisClient {

    /**
     * Commands that change the state of their connection (database, authentication, transaction,
     * subscription, protocol version, ...). A pooled connection is shared between callers one after
     * another, so such state would leak to the next one; they are refused.
     */
    static final Set<String> CONNECTION_STATE_COMMANDS = Set.of("AUTH", "HELLO", "SELECT", "CLIENT", "RESET",
            "QUIT", "MULTI", "EXEC", "DISCARD", "WATCH", "UNWATCH", "SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE",
            "UNSUBSCRIBE", "PUNSUBSCRIBE", "SUNSUBSCRIBE", "MONITOR", "SYNC", "PSYNC", "REPLCONF", "READONLY",
            "READWRITE", "ASKING");

    private final ConnPool redis;
    private final int replyTimeoutMillis;

    RedisClient(@Qualifier("redis") ConnPool redis, @Value("${sample.reply-timeout:5s}") Duration replyTimeout) {
        this.redis = redis;
        this.replyTimeoutMillis = (int) Math.max(1, Math.min(Integer.MAX_VALUE, replyTimeout.toMillis()));
    }

    /**
     * Sends one command and reads its reply. A Redis error ({@code -ERR ...}) is a reply like any
     * other: the connection stays in step and goes back to the pool.
     *
     * @param command the command's name and arguments
     * @return the reply
     * @throws BackendException 400 for a command this proxy refuses, 503 if no connection could be
     *         had, 502 or 504 if the exchange failed (the connection is then marked unusable)
     */
    public Resp.Value call(List<String> command) {
        validate(command);
        byte[] request = Resp.command(command);
        return PooledExchange.over(redis, conn -> {
            // bounds each read of the reply
            conn.socket().setSoTimeout(replyTimeoutMillis);
            OutputStream out = conn.getOutputStream();
            out.write(request);
            out.flush();
            InputStream in = new BufferedInputStream(conn.getInputStream());
            Resp.Value reply = Resp.read(in);
            if (in.available() > 0) {
                // more than one reply to one command: the protocol is out of step
                throw new Resp.ProtocolException("bytes after the reply");
            }
            return reply;
        });
    }

    private static void validate(List<String> command) {
        if (command.isEmpty()) {
            throw BackendException.badRequest("a command must have at least its name, e.g. [\"PING\"]");
        }
        String name = command.get(0).toUpperCase(Locale.ROOT);
        if (CONNECTION_STATE_COMMANDS.contains(name)) {
            throw BackendException.badRequest(name + " changes the state of its connection, which the pool "
                    + "lends to other callers afterwards: not allowed through this proxy");
        }
    }
}
