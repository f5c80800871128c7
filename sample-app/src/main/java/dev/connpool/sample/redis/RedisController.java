package dev.connpool.sample.redis;

import dev.connpool.sample.BackendException;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * The Redis proxy example over HTTP.
 * <ul>
 *   <li>{@code GET /redis/ping}: {@code {"reply":"PONG"}};</li>
 *   <li>{@code POST /redis} with a JSON array of strings, {@code ["SET","k","v"]}: the reply as JSON,
 *       {@code {"reply":"OK"}} (see {@link Resp.Value#toJson()}).</li>
 * </ul>
 * Errors, as RFC 9457 problems: 400 for a body that is not a non-empty array of strings or a refused
 * command, 422 for an error reply of Redis (its message as {@code detail}), 503 when no connection to
 * Redis can be had, 502/504 when the exchange broke.
 */
@RestController
@RequestMapping("/redis")
class RedisController {

    private final RedisClient redis;

    RedisController(RedisClient redis) {
        this.redis = redis;
    }

    @GetMapping("/ping")
    RedisReply ping() {
        return reply(redis.call(List.of("PING")));
    }

    @PostMapping(consumes = MediaType.APPLICATION_JSON_VALUE)
    RedisReply command(@RequestBody List<@Nullable Object> body) {
        List<String> command = new ArrayList<>(body.size());
        for (int i = 0; i < body.size(); i++) {
            if (!(body.get(i) instanceof String part)) {
                throw BackendException.badRequest("the body must be a JSON array of strings, e.g. [\"SET\",\"k\",\"v\"]; "
                        + "element " + i + " is " + (body.get(i) == null ? "null" : "not a string: " + body.get(i)));
            }
            command.add(part);
        }
        return reply(redis.call(command));
    }

    private static RedisReply reply(Resp.Value value) {
        if (value instanceof Resp.ErrorReply error) {
            throw new RedisErrorException(error.message());
        }
        return new RedisReply(value.toJson());
    }

    /**
     * A reply of Redis.
     *
     * @param reply a string, number, null or list
     */
    record RedisReply(@Nullable Object reply) {
    }

    /**
     * Redis answered with an error: the command was understood as HTTP but refused by Redis (unknown
     * command, wrong type, wrong arguments), so 422 rather than a 5xx: Redis and the connection are fine.
     */
    static final class RedisErrorException extends BackendException {

        private static final long serialVersionUID = 1L;

        RedisErrorException(String message) {
            super(HttpStatus.UNPROCESSABLE_CONTENT, "Redis replied with an error: " + message, null);
            getBody().setProperty("error", message);
        }
    }
}
