package dev.connpool.sample.redis;

import dev.connpool.ConnPool;
import dev.connpool.sample.BackendException;
import dev.connpool.sample.Demo;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.stereotype.Component;

/**
 * {@code --demo=redis-proxy}: the original Redis proxy's client. Sends ten {@code PING}s through the
 * {@code redis} pool, prints each reply and how long it took, then the pool's statistics.
 */
@Component
@ConditionalOnProperty(name = "demo", havingValue = "redis-proxy")
class RedisDemo extends Demo {

    static final int PINGS = 10;

    private final RedisClient client;
    private final ConnPool redis;

    RedisDemo(RedisClient client, @Qualifier("redis") ConnPool redis) {
        this.client = client;
        this.redis = redis;
    }

    @Override
    protected void run(PrintStream out) {
        for (int i = 1; i <= PINGS; i++) {
            long start = System.nanoTime();
            try {
                Resp.Value reply = client.call(List.of("PING"));
                double millis = (System.nanoTime() - start) / 1e6;
                out.println("PING " + i + ": " + describe(reply) + String.format(Locale.ROOT, " (%.2f ms)", millis));
                if (reply instanceof Resp.ErrorReply) {
                    failed();
                }
            } catch (BackendException e) {
                failed();
                out.println("PING " + i + ": failed: " + e.detail());
            }
        }
        printStats(out, redis);
    }

    private static String describe(Resp.Value reply) {
        if (reply instanceof Resp.SimpleString s) {
            return "+" + s.value();
        }
        if (reply instanceof Resp.ErrorReply e) {
            return "-" + e.message();
        }
        return String.valueOf(reply.toJson());
    }
}
