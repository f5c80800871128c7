package dev.connpool.sample.lb;

import static org.assertj.core.api.Assertions.assertThat;

import com.jayway.jsonpath.JsonPath;
import dev.connpool.ConnPool;
import dev.connpool.sample.SampleApplication;
import dev.connpool.sample.backends.EmbeddedBackends;
import dev.connpool.sample.backends.LineServer;
import dev.connpool.sample.support.Http;
import dev.connpool.sample.support.NoRedis;
import dev.connpool.sample.support.NothingLeftBehind;
import dev.connpool.testkit.Await;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
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
 * The load-balancer example over real HTTP, against the app's own two backends: strict round robin
 * while both are up; a backend that stops is skipped (no request is lost on it, and once its pool
 * reports it DOWN no request even tries it); a backend that comes back is used again.
 */
@ExtendWith(NothingLeftBehind.class) // before @SpringBootTest: checks after the context closed
@SpringBootTest(classes = SampleApplication.class, webEnvironment = WebEnvironment.RANDOM_PORT, properties = {
        "sample.backends.echo.port=0",
        "sample.backends.backend-1.port=0",
        "sample.backends.backend-2.port=0" })
@DirtiesContext
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LoadBalancerTest {

    private static final Duration WAIT = Duration.ofSeconds(15);

    @DynamicPropertySource
    static void noRedis(DynamicPropertyRegistry registry) {
        NoRedis.register(registry);
    }

    @LocalServerPort
    int port;

    @Autowired
    EmbeddedBackends backends;

    @Autowired
    @Qualifier("backend-1")
    ConnPool backend1Pool;

    @Autowired
    @Qualifier("backend-2")
    ConnPool backend2Pool;

    private Http http() {
        return new Http(port);
    }

    /** One answer: which backend, checked against what that backend said. */
    private String lb(String msg) {
        Http.Response response = http().get("/lb?msg=" + Http.encode(msg));
        assertThat(response.status()).as("%s", response).isEqualTo(200);
        String backend = JsonPath.read(response.body(), "$.backend");
        assertThat((String) JsonPath.read(response.body(), "$.reply")).isEqualTo(backend + ": " + msg);
        return backend;
    }

    private List<String> lb(int requests) {
        List<String> answeredBy = new ArrayList<>();
        for (int i = 0; i < requests; i++) {
            answeredBy.add(lb("request " + i));
        }
        return answeredBy;
    }

    private String health(String pool) {
        return JsonPath.read(http().get("/actuator/health/connpool/" + pool).body(), "$.status");
    }

    @AfterEach
    void bothBackendsRunAgain() throws IOException {
        for (String name : List.of(EmbeddedBackends.BACKEND_1, EmbeddedBackends.BACKEND_2)) {
            LineServer server = backends.server(name);
            if (!server.isRunning()) {
                server.restart();
            }
        }
        // the next test starts with both in rotation
        Await.until(() -> !RoundRobin.isDown(backend1Pool) && !RoundRobin.isDown(backend2Pool), WAIT,
                "both backends up again");
    }

    @Test
    void takesTurnsWhileBothAreUp() {
        List<String> answeredBy = lb(6);
        assertAlternating(answeredBy);
    }

    @Test
    void skipsAStoppedBackendAndTakesItBackWhenItReturns() throws Exception {
        LineServer backend1 = backends.server(EmbeddedBackends.BACKEND_1);
        backend1.stop();

        // from the first request on, every answer comes from backend-2: a failed get falls through
        assertThat(lb(6)).containsOnly("backend-2");

        // once its pool reports it DOWN, backend-1 is skipped without even being asked
        Await.until(() -> health("backend-1").equals("DOWN"), WAIT, "backend-1 health DOWN");
        assertThat(health("backend-2")).isEqualTo("UP");
        long asked = backend1Pool.stats().requests();
        assertThat(lb(6)).containsOnly("backend-2");
        assertThat(backend1Pool.stats().requests()).as("gets on backend-1 while DOWN").isEqualTo(asked);

        backend1.restart();
        Await.until(() -> health("backend-1").equals("UP"), WAIT, "backend-1 health UP");
        assertAlternating(lb(6));
    }

    @Test
    void answers503WhenNoBackendIsUp() throws Exception {
        backends.server(EmbeddedBackends.BACKEND_1).stop();
        backends.server(EmbeddedBackends.BACKEND_2).stop();
        Http.Response response = http().get("/lb?msg=anyone");
        assertThat(response.status()).as("%s", response).isEqualTo(503);
        assertThat((String) JsonPath.read(response.body(), "$.detail"))
                .startsWith("no backend answered")
                .contains("connection pool 'backend-1'")
                .contains("connection pool 'backend-2'");
    }

    @Test
    void refusesABadMessage() throws Exception {
        Http.Response response = http().get("/lb?msg=" + Http.encode("a\nb"));
        assertThat(response.status()).as("%s", response).isEqualTo(400);
    }

    private static void assertAlternating(List<String> answeredBy) {
        assertThat(answeredBy).containsOnly("backend-1", "backend-2");
        for (int i = 1; i < answeredBy.size(); i++) {
            assertThat(answeredBy.get(i)).as("answer %d of %s", i, answeredBy).isNotEqualTo(answeredBy.get(i - 1));
        }
    }
}
