package dev.connpool.sample;

import static org.assertj.core.api.Assertions.assertThat;

import com.jayway.jsonpath.JsonPath;
import dev.connpool.ConnPool;
import dev.connpool.sample.backends.EmbeddedBackends;
import dev.connpool.sample.backends.LineServer;
import dev.connpool.sample.support.Http;
import dev.connpool.sample.support.NoRedis;
import dev.connpool.sample.support.NothingLeftBehind;
import dev.connpool.testkit.Await;
import dev.connpool.testkit.Ports;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The sample app as a newcomer runs it, over real HTTP: its own loopback backends (on free ports
 * here), the tcp-echo example, the actuator as configured in application.yml, and no Redis at all
 * (the {@code redis} pool points at a closed port), which must not keep it from starting.
 */
@ExtendWith(NothingLeftBehind.class) // before @SpringBootTest: checks after the context closed
@SpringBootTest(classes = SampleApplication.class, webEnvironment = WebEnvironment.RANDOM_PORT, properties = {
        "sample.backends.echo.port=0",
        "sample.backends.backend-1.port=0",
        "sample.backends.backend-2.port=0" })
@DirtiesContext
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SampleAppTest {

    private static final Duration WAIT = Duration.ofSeconds(15);
    private static final int NO_REDIS_PORT = Ports.closed();

    @DynamicPropertySource
    static void noRedis(DynamicPropertyRegistry registry) {
        NoRedis.register(registry, NO_REDIS_PORT);
    }

    @LocalServerPort
    int port;

    @Autowired
    EmbeddedBackends backends;

    @Autowired
    @Qualifier("echo")
    ConnPool echoPool;

    private Http http() {
        return new Http(port);
    }

    @Test
    void echoesAMessageThroughTheEchoPool() throws Exception {
        long successes = echoPool.stats().successes();
        Http.Response response = http().get("/echo?msg=hello");
        assertThat(response.status()).as("%s", response).isEqualTo(200);
        assertThat(response.contentType()).startsWith("application/json");
        assertThat((String) JsonPath.read(response.body(), "$.sent")).isEqualTo("hello");
        assertThat((String) JsonPath.read(response.body(), "$.got")).isEqualTo("hello");
        assertThat(echoPool.stats().successes()).isGreaterThan(successes);
        // the pool's connection went to the app's own echo server
        assertThat(backends.server(EmbeddedBackends.ECHO).openConnections()).isGreaterThanOrEqualTo(1);
    }

    @Test
    void echoesAnyOneLineOfUtf8() throws Exception {
        String msg = "grüße ✓ 1+1=2 & ?x=y  ";
        Http.Response response = http().get("/echo?msg=" + Http.encode(msg));
        assertThat(response.status()).as("%s", response).isEqualTo(200);
        assertThat((String) JsonPath.read(response.body(), "$.got")).isEqualTo(msg);
    }

    @Test
    void concurrentCallersEachGetTheirOwnReply() throws Exception {
        int threads = 8;
        int perThread = 20;
        ExecutorService executor = Executors.newFixedThreadPool(threads);
        try {
            List<Future<List<String>>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                results.add(executor.submit(() -> {
                    List<String> mismatches = new ArrayList<>();
                    for (int i = 0; i < perThread; i++) {
                        String msg = "caller-" + id + "-" + i;
                        Http.Response r = http().get("/echo?msg=" + msg);
                        String got = r.status() == 200 ? JsonPath.read(r.body(), "$.got") : null;
                        if (!msg.equals(got)) {
                            mismatches.add(msg + " -> " + r);
                        }
                    }
                    return mismatches;
                }));
            }
            for (Future<List<String>> f : results) {
                assertThat(f.get(30, TimeUnit.SECONDS)).isEmpty();
            }
        } finally {
            executor.shutdownNow();
            assertThat(executor.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(echoPool.stats().size()).isLessThanOrEqualTo(echoPool.config().maxSize());
        assertThat(backends.server(EmbeddedBackends.ECHO).openConnections())
                .isLessThanOrEqualTo(echoPool.config().maxSize());
    }

    @Test
    void refusesMessagesTheLineProtocolCannotCarry() throws Exception {
        assertBadRequest("/echo", "msg");
        assertBadRequest("/echo?msg=", "msg must not be empty");
        assertBadRequest("/echo?msg=" + Http.encode("two\nlines"), "one line");
        assertBadRequest("/echo?msg=" + Http.encode("cr\rinside"), "one line");
        assertBadRequest("/echo?msg=" + "x".repeat(LineProtocol.MAX_LINE_BYTES + 1), "at most");
    }

    private void assertBadRequest(String path, String detail) {
        Http.Response response = http().get(path);
        assertThat(response.status()).as("%s -> %s", path, response).isEqualTo(400);
        assertThat(response.contentType()).startsWith("application/problem+json");
        assertThat((String) JsonPath.read(response.body(), "$.detail")).contains(detail);
    }

    @Test
    void echoAnswers503WhileItsBackendIsDownAndRecovers() throws Exception {
        LineServer echo = backends.server(EmbeddedBackends.ECHO);
        echo.stop();
        try {
            Await.until(() -> http().get("/echo?msg=anyone").status() == 503, WAIT, "GET /echo answers 503");
            Http.Response down = http().get("/echo?msg=anyone");
            assertThat(down.status()).as("%s", down).isEqualTo(503);
            assertThat((String) JsonPath.read(down.body(), "$.detail"))
                    .contains("connection pool 'echo'").contains("Connection refused");
            assertThat((String) JsonPath.read(down.body(), "$.pool")).isEqualTo("echo");
            Await.until(() -> http().get("/actuator/health/connpool/echo").body().contains("\"DOWN\""), WAIT,
                    "echo health DOWN");
        } finally {
            if (!echo.isRunning()) {
                echo.restart();
            }
        }
        Await.until(() -> http().get("/echo?msg=back").status() == 200, WAIT, "GET /echo answers 200 again");
        Await.until(() -> http().get("/actuator/health/connpool/echo").status() == 200, WAIT, "echo health UP again");
    }

    @Test
    void startsWithoutRedisReportsItDownAndAnswers503() throws Exception {
        Http.Response health = http().get("/actuator/health/connpool/redis");
        assertThat(health.status()).as("%s", health).isEqualTo(503);
        assertThat((String) JsonPath.read(health.body(), "$.status")).isEqualTo("DOWN");
        assertThat((String) JsonPath.read(health.body(), "$.details.lastConnectError")).contains("Connection refused");
        assertThat((String) JsonPath.read(health.body(), "$.details.target"))
                .isEqualTo("tcp://127.0.0.1:" + NO_REDIS_PORT);

        Http.Response ping = http().get("/redis/ping");
        assertThat(ping.status()).as("%s", ping).isEqualTo(503);
        assertThat(ping.contentType()).startsWith("application/problem+json");
        assertThat((String) JsonPath.read(ping.body(), "$.detail"))
                .containsPattern(NoRedis.CONNECT_FAILED).contains("Connection refused");

        Http.Response command = http().postJson("/redis", "[\"GET\",\"k\"]");
        assertThat(command.status()).as("%s", command).isEqualTo(503);
        // a bad request is a bad request, Redis or not
        assertThat(http().postJson("/redis", "[]").status()).isEqualTo(400);
    }

    @Test
    void exposesHealthWithDetailsConnpoolsAndMetrics() throws Exception {
        Http.Response health = http().get("/actuator/health");
        // DOWN overall: there is no Redis here
        assertThat(health.status()).isEqualTo(503);
        Map<String, Object> pools = JsonPath.read(health.body(), "$.components.connpool.components");
        assertThat(pools).containsOnlyKeys("echo", "redis", "backend-1", "backend-2");
        assertThat((String) JsonPath.read(health.body(), "$.components.connpool.components.echo.status"))
                .isEqualTo("UP");
        assertThat((String) JsonPath.read(health.body(), "$.components.connpool.components.echo.details.target"))
                .isEqualTo("tcp://127.0.0.1:" + backends.server(EmbeddedBackends.ECHO).port());

        Http.Response connpools = http().get("/actuator/connpools");
        assertThat(connpools.status()).isEqualTo(200);
        Map<String, Object> listed = JsonPath.read(connpools.body(), "$.pools");
        assertThat(listed).containsOnlyKeys("echo", "redis", "backend-1", "backend-2");
        // the Redis health check comes from application.yml alone
        assertThat((String) JsonPath.read(connpools.body(), "$.pools.redis.config.healthCheck"))
                .isEqualTo("request-response");
        assertThat((Boolean) JsonPath.read(connpools.body(), "$.pools.redis.config.failFast")).isFalse();
        assertThat((String) JsonPath.read(connpools.body(), "$.pools.echo.config.healthCheck")).isEqualTo("liveness");

        Http.Response names = http().get("/actuator/metrics");
        assertThat(names.status()).isEqualTo(200);
        List<String> meters = JsonPath.read(names.body(), "$.names");
        assertThat(meters).contains("connpool.connections", "connpool.connections.acquire", "connpool.connections.created");
        Http.Response echoConnections = http().get("/actuator/metrics/connpool.connections?tag=pool:echo");
        assertThat(echoConnections.status()).as("%s", echoConnections).isEqualTo(200);
        assertThat((Double) JsonPath.read(echoConnections.body(), "$.measurements[0].value"))
                .isGreaterThanOrEqualTo(1.0);

        // nothing else is exposed
        assertThat(http().get("/actuator/env").status()).isEqualTo(404);
    }
}
