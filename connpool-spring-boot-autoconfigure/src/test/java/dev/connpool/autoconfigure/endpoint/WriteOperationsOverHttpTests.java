package dev.connpool.autoconfigure.endpoint;

import static org.assertj.core.api.Assertions.assertThat;

import com.jayway.jsonpath.JsonPath;
import dev.connpool.ConnPool;
import dev.connpool.PooledConnection;
import dev.connpool.testkit.EchoServer;
import dev.connpool.testkit.TestServer;
import java.io.IOException;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The write operation of {@code connpools} once {@code management.endpoint.connpools.access} is
 * {@code unrestricted}, over real HTTP: evict idle (an empty body, as before there were actions),
 * soft evict, suspend and resume, resize; connections counted on the server side; requests that break
 * a rule answer 400 naming the field and the rule.
 */
@ExtendWith(EchoServer.class) // before @SpringBootTest: outlives the application
@SpringBootTest(classes = TestApplication.class, webEnvironment = WebEnvironment.RANDOM_PORT, properties = {
        "management.endpoints.web.exposure.include=connpools",
        "management.endpoint.connpools.access=unrestricted",
        "connpool.pools.orders.host=127.0.0.1",
        "connpool.pools.orders.min-size=2",
        "connpool.pools.orders.max-size=4",
        "connpool.pools.orders.evict-interval=0" })
@DirtiesContext
class WriteOperationsOverHttpTests {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String ORDERS = "/actuator/connpools/orders";

    private final TestServer server = EchoServer.started().server();

    @LocalServerPort
    int port;

    @Autowired
    @Qualifier("orders")
    ConnPool orders;

    @DynamicPropertySource
    static void backend(DynamicPropertyRegistry registry) {
        registry.add("connpool.pools.orders.port", () -> EchoServer.started().port());
    }

    private Http http() {
        return new Http(port);
    }

    /** Every test leaves the pool as it found it: resumed, sizes 2..4, two connections open. */
    @AfterEach
    void restore() throws IOException {
        orders.resume();
        orders.resize(2, 4);
        // a lower min-size closes nothing by itself (no idle timeout here): start again from 2
        orders.evictIdle();
        server.awaitOpen(2, WAIT);
    }

    @Test
    void anEmptyBodyEvictsTheIdleConnectionsOfAPoolAndLeavesThoseInUse() throws Exception {
        server.awaitOpen(2, WAIT);
        try (PooledConnection inUse = orders.get(WAIT)) {
            int acceptedBefore = server.accepted();
            long idleClosed = orders.stats().idleClosed();
            Http.Response response = http().post(ORDERS);
            assertThat(response.status()).isEqualTo(200);
            assertThat((String) JsonPath.read(response.body(), "$.pool")).isEqualTo("orders");
            assertThat((Integer) JsonPath.read(response.body(), "$.evicted")).isEqualTo(1);
            assertThat((String) JsonPath.read(response.body(), "$.action")).isEqualTo("evict-idle");
            // the idle one was closed, and one opened in its place (min-size 2); the one in use is intact
            server.awaitAccepted(acceptedBefore + 1, WAIT);
            server.awaitOpen(2, WAIT);
            inUse.getOutputStream().write('x');
            assertThat(inUse.getInputStream().read()).isEqualTo('x');
            assertThat(orders.stats().idleClosed()).isEqualTo(idleClosed + 1);
        }
    }

    @Test
    void evictIdleCanBeNamed() throws Exception {
        server.awaitOpen(2, WAIT);
        Http.Response response = http().post(ORDERS, "{\"action\":\"evict-idle\"}");
        assertThat(response.status()).isEqualTo(200);
        assertThat((Integer) JsonPath.read(response.body(), "$.evicted")).isEqualTo(2);
    }

    @Test
    void softEvictRetiresIdleConnectionsNowAndLentOnesWhenTheyComeBack() throws Exception {
        server.awaitOpen(2, WAIT);
        int acceptedBefore = server.accepted();
        PooledConnection lent = orders.get(WAIT);
        Socket lentSocket = lent.socket();
        Http.Response response = http().post(ORDERS, "{\"action\":\"soft-evict\"}");
        assertThat(response.status()).as(response.body()).isEqualTo(200);
        assertThat((String) JsonPath.read(response.body(), "$.action")).isEqualTo("soft-evict");
        assertThat((Integer) JsonPath.read(response.body(), "$.evicted")).isEqualTo(1);
        // the lent one still works until it is returned, then it is closed, not lent again
        lent.getOutputStream().write('y');
        assertThat(lent.getInputStream().read()).isEqualTo('y');
        lent.close();
        // every connection the pool has now is new: the two open ones were accepted after the call
        server.awaitAccepted(acceptedBefore + 2, WAIT);
        server.awaitOpen(2, WAIT);
        try (PooledConnection fresh = orders.get(WAIT)) {
            assertThat(fresh.socket()).isNotSameAs(lentSocket);
        }
    }

    @Test
    void suspendMakesGetsWaitAndResumeServesThem() throws Exception {
        Http.Response suspended = http().post(ORDERS, "{\"action\":\"suspend\"}");
        assertThat(suspended.status()).as(suspended.body()).isEqualTo(200);
        assertThat((Boolean) JsonPath.read(suspended.body(), "$.suspended")).isTrue();
        // only the evictions say how many they closed
        assertThat(suspended.body()).doesNotContain("evicted");
        assertThat(orders.isSuspended()).isTrue();
        assertThat((Boolean) JsonPath.read(http().get(ORDERS).body(), "$.suspended")).isTrue();

        CompletableFuture<String> waiting = CompletableFuture.supplyAsync(() -> {
            try (PooledConnection c = orders.get(WAIT)) {
                return "served";
            } catch (IOException e) {
                return e.toString();
            }
        });
        TestServer.awaitCondition(() -> orders.stats().waiters() == 1, WAIT, "the get waits while suspended");
        assertThat(waiting).isNotDone();

        Http.Response resumed = http().post(ORDERS, "{\"action\":\"resume\"}");
        assertThat(resumed.status()).isEqualTo(200);
        assertThat((Boolean) JsonPath.read(resumed.body(), "$.suspended")).isFalse();
        assertThat(waiting.get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo("served");
        assertThat((Boolean) JsonPath.read(http().get(ORDERS).body(), "$.suspended")).isFalse();
    }

    @Test
    void resizeChangesTheSizesTheReadOutputAndThePoolShow() throws Exception {
        Http.Response grown = http().post(ORDERS, "{\"action\":\"resize\",\"minSize\":3,\"maxSize\":6}");
        assertThat(grown.status()).as(grown.body()).isEqualTo(200);
        assertThat((Integer) JsonPath.read(grown.body(), "$.minSize")).isEqualTo(3);
        assertThat((Integer) JsonPath.read(grown.body(), "$.maxSize")).isEqualTo(6);
        assertThat(orders.config().minSize()).isEqualTo(3);
        // the pool refills to the new min-size, counted on the server side
        server.awaitOpen(3, WAIT);
        String read = http().get(ORDERS).body();
        assertThat((Integer) JsonPath.read(read, "$.config.minSize")).isEqualTo(3);
        assertThat((Integer) JsonPath.read(read, "$.config.maxSize")).isEqualTo(6);

        // one size alone keeps the other
        Http.Response capped = http().post(ORDERS, "{\"action\":\"resize\",\"maxSize\":5}");
        assertThat(capped.status()).as(capped.body()).isEqualTo(200);
        assertThat(orders.config().minSize()).isEqualTo(3);
        assertThat(orders.config().maxSize()).isEqualTo(5);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "{\"action\":\"drain\"}                         | action  | action must be one of evict-idle, soft-evict, suspend, resume, resize (was 'drain')",
            "{\"maxSize\":8}                                | action  | action must be resize when minSize or maxSize is given",
            "{\"action\":\"suspend\",\"minSize\":1}          | minSize | minSize is only taken by action resize (action was suspend)",
            "{\"action\":\"resize\"}                        | maxSize | resize needs maxSize, minSize or both",
            "{\"action\":\"resize\",\"maxSize\":\"many\"}    | maxSize | maxSize must be a whole number (was 'many')",
            "{\"action\":\"resize\",\"minSize\":2.5}         | minSize | minSize must be a whole number (was '2.5')",
            "{\"action\":\"resize\",\"maxSize\":0}           | maxSize | maxSize must be",
            "{\"action\":\"resize\",\"minSize\":9}           | minSize | minSize must"})
    void aRequestThatBreaksARuleAnswers400NamingTheFieldAndTheRule(String body, String field, String rule)
            throws Exception {
        Http.Response response = http().post(ORDERS, body);
        assertThat(response.status()).as(response.body()).isEqualTo(400);
        assertThat((String) JsonPath.read(response.body(), "$.field")).isEqualTo(field);
        assertThat((String) JsonPath.read(response.body(), "$.message")).startsWith(rule);
        // nothing was done
        assertThat(orders.isSuspended()).isFalse();
        assertThat(orders.config().minSize()).isEqualTo(2);
        assertThat(orders.config().maxSize()).isEqualTo(4);
    }

    @Test
    void theReadOutputSaysWritesAreAllowedAndShowsTheNewSettingsAndCounters() throws Exception {
        String body = http().get("/actuator/connpools").body();
        assertThat((String) JsonPath.read(body, "$.access")).isEqualTo("unrestricted");
        assertThat((Boolean) JsonPath.read(body, "$.pools.orders.suspended")).isFalse();
        assertThat((Integer) JsonPath.read(body, "$.pools.orders.stats.leaksSuspected")).isZero();
        assertThat((Integer) JsonPath.read(body, "$.pools.orders.stats.healthChecksSkipped")).isZero();
        assertThat((String) JsonPath.read(body, "$.pools.orders.config.leakDetectionThreshold")).isEqualTo("0s");
        assertThat((String) JsonPath.read(body, "$.pools.orders.config.maxConnectBackoff")).isEqualTo("10s");
        assertThat((String) JsonPath.read(body, "$.pools.orders.config.healthCheckAfterIdle")).isEqualTo("0s");
    }

    @Test
    void anUnknownPoolAnswers404WhateverTheAction() throws Exception {
        assertThat(http().post("/actuator/connpools/nope").status()).isEqualTo(404);
        assertThat(http().post("/actuator/connpools/nope", "{\"action\":\"suspend\"}").status()).isEqualTo(404);
    }
}
