package dev.connpool.autoconfigure.endpoint;

import static org.assertj.core.api.Assertions.assertThat;

import com.jayway.jsonpath.JsonPath;
import dev.connpool.ConnPool;
import dev.connpool.PooledConnection;
import dev.connpool.testkit.Await;
import dev.connpool.testkit.HangingServer;
import dev.connpool.testkit.NoPoolThreads;
import dev.connpool.testkit.TestServer;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The actuator side as a user sees it, over real HTTP against a real application on a random port:
 * {@code /actuator/connpools}, {@code /actuator/health/connpool/<name>} and
 * {@code /actuator/metrics/connpool.*}, with the endpoint at its default, read-only access.
 *
 * <p>Backends: {@code orders} (echo, request-response check with a password in its request),
 * {@code flaky} (echo, stopped and restarted by a test) and {@code hanging} (accepts nothing, ever).
 */
@ExtendWith(ActuatorOverHttpTests.Backends.class) // before @SpringBootTest: outlives the application
@SpringBootTest(classes = TestApplication.class, webEnvironment = WebEnvironment.RANDOM_PORT, properties = {
        "management.endpoints.web.exposure.include=health,connpools,metrics",
        "management.endpoint.health.show-details=always",
        "connpool.health.probe-timeout=300ms",
        "connpool.defaults.host=127.0.0.1",
        "connpool.defaults.evict-interval=100ms",
        "connpool.pools.orders.min-size=2",
        "connpool.pools.orders.max-size=5",
        "connpool.pools.orders.idle-timeout=30s",
        "connpool.pools.orders.health-check.type=request-response",
        "connpool.pools.orders.health-check.request=AUTH s3cret\\r\\n",
        "connpool.pools.orders.health-check.expect=AUTH",
        "connpool.pools.flaky.min-size=1",
        "connpool.pools.hanging.min-size=0",
        "connpool.pools.hanging.connect-timeout=30s" })
@DirtiesContext // closed after the class, before the backends
class ActuatorOverHttpTests {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private static TestServer orders;
    private static TestServer flaky;
    private static int flakyPort;
    private static HangingServer hanging;

    @LocalServerPort
    int port;

    @Autowired
    ConfigurableApplicationContext context;

    @Autowired
    @Qualifier("orders")
    ConnPool ordersPool;

    @DynamicPropertySource
    static void backends(DynamicPropertyRegistry registry) {
        registry.add("connpool.pools.orders.port", () -> orders.port());
        registry.add("connpool.pools.flaky.port", () -> flakyPort);
        registry.add("connpool.pools.hanging.port", () -> hanging.port());
    }

    private Http http() {
        return new Http(port);
    }

    /** Starts the backends before the application, and checks and stops them after it closed. */
    static final class Backends implements BeforeAllCallback, AfterAllCallback {

        @Override
        public void beforeAll(ExtensionContext extension) throws IOException {
            orders = TestServer.echo();
            flaky = TestServer.echo();
            flakyPort = flaky.port();
            hanging = new HangingServer();
        }

        @Override
        public void afterAll(ExtensionContext extension) throws IOException {
            try {
                // every socket the application opened was closed with it
                orders.awaitOpen(0, WAIT);
                flaky.awaitOpen(0, WAIT);
                NoPoolThreads.awaitNone(WAIT);
            } finally {
                orders.close();
                flaky.close();
                hanging.close();
            }
        }
    }

    @Test
    void listsEveryPoolWithItsConfigAndStats() throws Exception {
        Http.Response response = http().get("/actuator/connpools");
        assertThat(response.status()).isEqualTo(200);
        String body = response.body();
        Map<String, Object> pools = JsonPath.read(body, "$.pools");
        assertThat(pools).containsOnlyKeys("orders", "flaky", "hanging");
        // the default access: a view offers no write operation
        assertThat((String) JsonPath.read(body, "$.access")).isEqualTo("read-only");
        assertThat((String) JsonPath.read(body, "$.pools.orders.name")).isEqualTo("orders");
        assertThat((String) JsonPath.read(body, "$.pools.orders.target")).isEqualTo("tcp://127.0.0.1:" + orders.port());
        assertThat((Integer) JsonPath.read(body, "$.pools.orders.config.minSize")).isEqualTo(2);
        assertThat((Integer) JsonPath.read(body, "$.pools.orders.config.maxSize")).isEqualTo(5);
        assertThat((String) JsonPath.read(body, "$.pools.orders.config.idleTimeout")).isEqualTo("30s");
        assertThat((String) JsonPath.read(body, "$.pools.orders.config.evictInterval")).isEqualTo("100ms");
        assertThat((String) JsonPath.read(body, "$.pools.orders.config.healthCheck")).isEqualTo("request-response");
        assertThat((Integer) JsonPath.read(body, "$.pools.orders.stats.size")).isGreaterThanOrEqualTo(2);
        assertThat((Map<String, Object>) JsonPath.read(body, "$.pools.orders.stats.closed"))
                .containsOnlyKeys("idle", "lifetime", "health", "unusable", "shutdown");
        assertThat((Boolean) JsonPath.read(body, "$.pools.orders.closed")).isFalse();
        // the health check's request carries a password: it is never shown
        assertThat(body).doesNotContain("s3cret").doesNotContain("AUTH");
    }

    @Test
    void showsOnePoolByNameAndAnswers404ForAnUnknownOne() throws Exception {
        Http.Response flakyPool = http().get("/actuator/connpools/flaky");
        assertThat(flakyPool.status()).isEqualTo(200);
        assertThat((String) JsonPath.read(flakyPool.body(), "$.name")).isEqualTo("flaky");
        assertThat((Integer) JsonPath.read(flakyPool.body(), "$.config.minSize")).isEqualTo(1);
        assertThat(http().get("/actuator/connpools/nope").status()).isEqualTo(404);
    }

    @Test
    void everyWriteIsRefusedAtTheDefaultReadOnlyAccess() throws Exception {
        long idleClosedBefore = ordersPool.stats().idleClosed();
        Http.Response response = http().post("/actuator/connpools/orders");
        assertThat(response.status()).isEqualTo(405);
        assertThat(http().post("/actuator/connpools/orders", "{\"action\":\"suspend\"}").status()).isEqualTo(405);
        assertThat(http().post("/actuator/connpools/orders", "{\"action\":\"resize\",\"maxSize\":1}").status())
                .isEqualTo(405);
        assertThat(ordersPool.stats().idleClosed()).isEqualTo(idleClosedBefore);
        assertThat(ordersPool.isSuspended()).isFalse();
        assertThat(ordersPool.config().maxSize()).isEqualTo(5);
    }

    @Test
    void healthHasAComponentPerPoolWithDetails() throws Exception {
        Http.Response response = http().get("/actuator/health/connpool/orders");
        assertThat(response.status()).isEqualTo(200);
        assertThat((String) JsonPath.read(response.body(), "$.status")).isEqualTo("UP");
        Map<String, Object> details = JsonPath.read(response.body(), "$.details");
        assertThat(details).containsKeys("size", "active", "idle", "waiters", "max", "min")
                .containsEntry("max", 5).containsEntry("target", "tcp://127.0.0.1:" + orders.port());
        assertThat(response.body()).doesNotContain("s3cret");

        Http.Response all = http().get("/actuator/health/connpool");
        Map<String, Object> components = JsonPath.read(all.body(), "$.components");
        assertThat(components).containsOnlyKeys("orders", "flaky", "hanging");
    }

    @Test
    void healthFollowsABackendThatStopsAndComesBackWithoutTraffic() throws Exception {
        Http http = http();
        ConnPool pool = context.getBean("flaky", ConnPool.class);
        assertThat(JsonPath.<String>read(http.get("/actuator/health/connpool/flaky").body(), "$.status"))
                .isEqualTo("UP");
        assertThat(flakyInTheWhole(http)).isEqualTo("UP");
        flaky.close();
        Await.until(() -> status(http, "/actuator/health/connpool/flaky") == 503, WAIT, "flaky DOWN");
        Http.Response down = http.get("/actuator/health/connpool/flaky");
        assertThat((String) JsonPath.read(down.body(), "$.status")).isEqualTo("DOWN");
        assertThat((String) JsonPath.read(down.body(), "$.details.lastConnectError")).contains("Connection refused");
        // the application's health, as a whole, has it down too (the whole is 503 anyway: hanging is down)
        assertThat(flakyInTheWhole(http)).isEqualTo("DOWN");

        flaky = TestServer.start(TestServer.Mode.ECHO, flakyPort, null);
        Await.until(() -> status(http, "/actuator/health/connpool/flaky") == 200, WAIT, "flaky UP again");
        assertThat(flakyInTheWhole(http)).isEqualTo("UP");
        flaky.awaitOpen(1, WAIT);
        assertThat(pool.stats().size()).isEqualTo(1);
    }

    @Test
    void healthOfABackendThatNeverAcceptsAnswersLongBeforeItsConnectTimeout() throws Exception {
        Http http = http();
        for (String path : List.of("/actuator/health/connpool/hanging", "/actuator/health")) {
            long t0 = System.nanoTime();
            Http.Response response = http.get(path);
            long millis = (System.nanoTime() - t0) / 1_000_000;
            // bounded by the 300 ms probe timeout, not by the 30 s connect timeout; generous for a loaded machine
            assertThat(millis).as("%s answered in %d ms", path, millis).isLessThan(5_000);
            assertThat(response.status()).isEqualTo(503);
        }
        Http.Response hangingHealth = http.get("/actuator/health/connpool/hanging");
        assertThat((String) JsonPath.read(hangingHealth.body(), "$.details.probe"))
                .isEqualTo("no connection within 300ms");
    }

    @Test
    void metricsOfEveryPoolTaggedWithItsName() throws Exception {
        Http http = http();
        try (PooledConnection lease = ordersPool.get(WAIT)) {
            Http.Response active = http.get("/actuator/metrics/connpool.connections.active?tag=pool:orders");
            assertThat(active.status()).isEqualTo(200);
            assertThat((Double) JsonPath.read(active.body(), "$.measurements[0].value")).isEqualTo(1.0);
        }
        Http.Response names = http.get("/actuator/metrics");
        List<String> meters = JsonPath.read(names.body(), "$.names");
        assertThat(meters).contains("connpool.connections", "connpool.connections.active",
                "connpool.connections.idle", "connpool.connections.pending", "connpool.connections.max",
                "connpool.connections.min", "connpool.connections.acquire", "connpool.connections.usage",
                "connpool.connections.creation", "connpool.connections.timeout", "connpool.connections.created",
                "connpool.connections.closed");
        Http.Response max = http.get("/actuator/metrics/connpool.connections.max?tag=pool:orders");
        assertThat((Double) JsonPath.read(max.body(), "$.measurements[0].value")).isEqualTo(5.0);
        Http.Response tags = http.get("/actuator/metrics/connpool.connections");
        List<String> pools = JsonPath.read(tags.body(), "$.availableTags[?(@.tag == 'pool')].values[*]");
        assertThat(pools).containsExactlyInAnyOrder("orders", "flaky", "hanging");
        Http.Response acquire = http.get("/actuator/metrics/connpool.connections.acquire?tag=pool:orders");
        List<Double> count = JsonPath.read(acquire.body(), "$.measurements[?(@.statistic == 'COUNT')].value");
        assertThat(count).singleElement().satisfies(c -> assertThat(c).isGreaterThanOrEqualTo(1.0));
    }

    /** The flaky pool's status as {@code /actuator/health} (the application's whole health) shows it. */
    private static String flakyInTheWhole(Http http) throws IOException {
        return JsonPath.read(http.get("/actuator/health").body(), "$.components.connpool.components.flaky.status");
    }

    private static int status(Http http, String path) {
        try {
            return http.get(path).status();
        } catch (IOException e) {
            return -1;
        }
    }
}
