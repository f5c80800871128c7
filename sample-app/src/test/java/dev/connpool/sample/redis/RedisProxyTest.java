package dev.connpool.sample.redis;

import static org.assertj.core.api.Assertions.assertThat;

import com.jayway.jsonpath.JsonPath;
import dev.connpool.ConnPool;
import dev.connpool.sample.SampleApplication;
import dev.connpool.sample.support.Http;
import dev.connpool.sample.support.NoRedis;
import dev.connpool.sample.support.NothingLeftBehind;
import dev.connpool.sample.support.RedisServer;
import dev.connpool.testkit.Await;
import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The redis-proxy example over real HTTP against a real {@code redis-server}: RESP replies of every
 * type as JSON, Redis errors and bad input as problems, the PING health check of application.yml,
 * and an outage: Redis killed, health DOWN and 503; Redis back on the same port, both recover.
 */
@ExtendWith(NothingLeftBehind.class) // registered first, so its after-all runs last
@ExtendWith(RedisProxyTest.Redis.class) // before @SpringBootTest: Redis outlives the application
@SpringBootTest(classes = SampleApplication.class, webEnvironment = WebEnvironment.RANDOM_PORT, properties = {
        "sample.backends.echo.port=0",
        "sample.backends.backend-1.port=0",
        "sample.backends.backend-2.port=0",
        "connpool.pools.redis.host=127.0.0.1" })
@DirtiesContext
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RedisProxyTest {

    private static final Duration WAIT = Duration.ofSeconds(15);

    private static RedisServer redis;

    /** Starts Redis before the application (or skips the class without one), stops it after. */
    static final class Redis implements ExecutionCondition, BeforeAllCallback, AfterAllCallback {

        @Override
        public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
            return RedisServer.availability();
        }

        @Override
        public void beforeAll(ExtensionContext context) throws IOException {
            redis = RedisServer.start();
        }

        @Override
        public void afterAll(ExtensionContext context) {
            if (redis != null) {
                redis.close();
                assertThat(redis.isRunning()).isFalse();
                redis = null;
            }
        }
    }

    @DynamicPropertySource
    static void redisPort(DynamicPropertyRegistry registry) {
        registry.add("connpool.pools.redis.port", () -> redis.port());
    }

    @LocalServerPort
    int port;

    @Autowired
    @Qualifier("redis")
    ConnPool redisPool;

    private Http http() {
        return new Http(port);
    }

    private Http.Response command(String json) {
        return http().postJson("/redis", json);
    }

    private Http.Response get(String path) {
        return http().get(path);
    }

    /** The reply of a command that must succeed. */
    private Object reply(String json) {
        Http.Response response = command(json);
        assertThat(response.status()).as("%s -> %s", json, response).isEqualTo(200);
        assertThat(response.contentType()).startsWith("application/json");
        Map<String, Object> body = JsonPath.read(response.body(), "$");
        assertThat(body).containsOnlyKeys("reply");
        return body.get("reply");
    }

    @Test
    void pings() {
        Http.Response response = get("/redis/ping");
        assertThat(response.status()).as("%s", response).isEqualTo(200);
        assertThat(response.body()).isEqualTo("{\"reply\":\"PONG\"}");
    }

    @Test
    void showsEveryReplyTypeAsJson() {
        assertThat(reply("[\"DEL\",\"greeting\",\"list\",\"counter\"]")).isInstanceOf(Integer.class);
        assertThat(reply("[\"SET\",\"greeting\",\"hello\"]")).isEqualTo("OK");                 // simple string
        assertThat(reply("[\"GET\",\"greeting\"]")).isEqualTo("hello");                        // bulk string
        assertThat(reply("[\"GET\",\"no-such-key\"]")).isNull();                               // nil bulk string
        assertThat(reply("[\"INCRBY\",\"counter\",\"41\"]")).isEqualTo(41);                    // integer
        assertThat(reply("[\"INCR\",\"counter\"]")).isEqualTo(42);
        assertThat(reply("[\"RPUSH\",\"list\",\"a\",\"b\",\"c\"]")).isEqualTo(3);
        assertThat(reply("[\"LRANGE\",\"list\",\"0\",\"-1\"]")).isEqualTo(List.of("a", "b", "c")); // array
        assertThat(reply("[\"LRANGE\",\"no-such-key\",\"0\",\"-1\"]")).isEqualTo(List.of());    // empty array
        assertThat(reply("[\"BLPOP\",\"no-such-key\",\"0.01\"]")).isNull();                    // nil array
        // nested arrays, with nil, an integer, an error and a status inside
        assertThat(reply("[\"EVAL\",\"return {1,{'a',{'b'}},false,redis.error_reply('boom'),"
                + "redis.status_reply('fine')}\",\"0\"]"))
                .isEqualTo(Arrays.asList(1, List.of("a", List.of("b")), null, Map.of("error", "ERR boom"), "fine"));
    }

    @Test
    void keepsValuesByteForByteWhateverTheyHold() {
        String value = "grüße ✓ with \\r\\n inside, \\\"quotes\\\" and $5 *2 +OK";
        assertThat(reply("[\"SET\",\"tricky\",\"" + value + "\"]")).isEqualTo("OK");
        assertThat(reply("[\"GET\",\"tricky\"]")).isEqualTo("grüße ✓ with \r\n inside, \"quotes\" and $5 *2 +OK");
        assertThat(reply("[\"STRLEN\",\"tricky\"]")).isEqualTo(
                "grüße ✓ with \r\n inside, \"quotes\" and $5 *2 +OK".getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
        assertThat(reply("[\"SET\",\"empty\",\"\"]")).isEqualTo("OK");
        assertThat(reply("[\"GET\",\"empty\"]")).isEqualTo("");
    }

    @Test
    void aRedisErrorIs422WithItsMessageAndTheConnectionStaysInUse() {
        long unusable = redisPool.stats().unusableClosed();
        Http.Response unknown = command("[\"NO-SUCH-COMMAND\",\"x\"]");
        assertThat(unknown.status()).as("%s", unknown).isEqualTo(422);
        assertThat(unknown.contentType()).startsWith("application/problem+json");
        assertThat((String) JsonPath.read(unknown.body(), "$.error")).startsWith("ERR unknown command");
        assertThat((String) JsonPath.read(unknown.body(), "$.detail"))
                .startsWith("Redis replied with an error: ERR unknown command");

        assertThat(reply("[\"SET\",\"a-string\",\"x\"]")).isEqualTo("OK");
        Http.Response wrongType = command("[\"LPUSH\",\"a-string\",\"y\"]");
        assertThat(wrongType.status()).isEqualTo(422);
        assertThat((String) JsonPath.read(wrongType.body(), "$.error")).startsWith("WRONGTYPE");

        // an error reply leaves the protocol in step: no connection was thrown away
        assertThat(get("/redis/ping").status()).isEqualTo(200);
        assertThat(redisPool.stats().unusableClosed()).isEqualTo(unusable);
    }

    @Test
    void badInputIs400AndNeverReachesRedis() {
        long requests = redisPool.stats().requests();
        for (String bad : List.of("[]", "[1]", "[\"GET\",null]", "[\"INCRBY\",\"k\",5]", "[[\"PING\"]]", "{\"a\":1}",
                "\"PING\"", "[\"PING\"", "null", "")) {
            Http.Response response = command(bad);
            assertThat(response.status()).as("%s -> %s", bad, response).isEqualTo(400);
            assertThat(response.contentType()).as("%s -> %s", bad, response).startsWith("application/problem+json");
        }
        for (String stateful : List.of("SELECT", "select", "MULTI", "SUBSCRIBE", "HELLO", "AUTH", "CLIENT")) {
            Http.Response response = command("[\"" + stateful + "\",\"1\"]");
            assertThat(response.status()).as("%s -> %s", stateful, response).isEqualTo(400);
            assertThat((String) JsonPath.read(response.body(), "$.detail")).contains("changes the state of its connection");
        }
        assertThat(redisPool.stats().requests()).as("gets on the redis pool").isEqualTo(requests);
    }

    @Test
    void everyConnectionAnswersPingBeforeItIsLentAsApplicationYmlSays() {
        Http.Response connpool = get("/actuator/connpools/redis");
        assertThat((String) JsonPath.read(connpool.body(), "$.config.healthCheck")).isEqualTo("request-response");

        long before = pingCalls();
        for (int i = 0; i < 3; i++) {
            reply("[\"GET\",\"k\"]");
        }
        // each GET's lease was checked with a PING, and so was the INFO's
        assertThat(pingCalls() - before).isGreaterThanOrEqualTo(4);
    }

    private long pingCalls() {
        String info = (String) reply("[\"INFO\",\"commandstats\"]");
        Matcher m = Pattern.compile("cmdstat_ping:calls=(\\d+)").matcher(info);
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    @Test
    void goesDownWithRedisAndRecoversWhenItIsBack() throws Exception {
        assertThat(get("/redis/ping").status()).isEqualTo(200);
        assertThat(get("/actuator/health/connpool/redis").status()).isEqualTo(200);

        redis.kill();
        try {
            Await.until(() -> get("/actuator/health/connpool/redis").status() == 503, WAIT, "redis health DOWN");
            Http.Response health = get("/actuator/health/connpool/redis");
            assertThat((String) JsonPath.read(health.body(), "$.status")).isEqualTo("DOWN");
            assertThat((String) JsonPath.read(health.body(), "$.details.lastConnectError")).contains("Connection refused");

            Await.until(() -> get("/redis/ping").status() == 503, WAIT, "GET /redis/ping answers 503");
            Http.Response ping = get("/redis/ping");
            assertThat(ping.status()).isEqualTo(503);
            assertThat((String) JsonPath.read(ping.body(), "$.detail"))
                    .containsPattern(NoRedis.CONNECT_FAILED);
            assertThat(command("[\"GET\",\"k\"]").status()).isEqualTo(503);
        } finally {
            if (!redis.isRunning()) {
                redis.restart();
            }
        }
        Await.until(() -> get("/actuator/health/connpool/redis").status() == 200, WAIT, "redis health UP again");
        Await.until(() -> get("/redis/ping").status() == 200, WAIT, "GET /redis/ping answers 200 again");
        assertThat(reply("[\"SET\",\"after-outage\",\"yes\"]")).isEqualTo("OK");
    }
}
