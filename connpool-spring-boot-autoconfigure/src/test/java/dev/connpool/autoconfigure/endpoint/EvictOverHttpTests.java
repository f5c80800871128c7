package dev.connpool.autoconfigure.endpoint;

import static org.assertj.core.api.Assertions.assertThat;

import com.jayway.jsonpath.JsonPath;
import dev.connpool.ConnPool;
import dev.connpool.PooledConnection;
import dev.connpool.testkit.EchoServer;
import java.time.Duration;
import org.junit.jupiter.api.Test;
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
 * The write operation of {@code connpools} once {@code management.endpoint.connpools.access} is
 * {@code unrestricted}: evicts a pool's idle connections, counted on the server side.
 */
@ExtendWith(EchoServer.class) // before @SpringBootTest: outlives the application
@SpringBootTest(classes = TestApplication.class, webEnvironment = WebEnvironment.RANDOM_PORT, properties = {
        "management.endpoints.web.exposure.include=connpools",
        "management.endpoint.connpools.access=unrestricted",
        "connpool.pools.orders.host=127.0.0.1",
        "connpool.pools.orders.min-size=2",
        "connpool.pools.orders.evict-interval=0" })
@DirtiesContext
class EvictOverHttpTests {

    private static final Duration WAIT = Duration.ofSeconds(10);


    @LocalServerPort
    int port;

    @Autowired
    @Qualifier("orders")
    ConnPool orders;

    private final EchoServer server = EchoServer.started();

    @DynamicPropertySource
    static void backend(DynamicPropertyRegistry registry) {
        registry.add("connpool.pools.orders.port", () -> EchoServer.started().port());
    }

    @Test
    void evictsTheIdleConnectionsOfAPoolAndLeavesThoseInUse() throws Exception {
        server.awaitOpen(2, WAIT);
        try (PooledConnection inUse = orders.get(WAIT)) {
            int acceptedBefore = server.accepted();
            Http.Response response = new Http(port).post("/actuator/connpools/orders");
            assertThat(response.status()).isEqualTo(200);
            assertThat((String) JsonPath.read(response.body(), "$.pool")).isEqualTo("orders");
            assertThat((Integer) JsonPath.read(response.body(), "$.evicted")).isEqualTo(1);
            // the idle one was closed, and one opened in its place (min-size 2); the one in use is intact
            server.awaitAccepted(acceptedBefore + 1, WAIT);
            server.awaitOpen(2, WAIT);
            inUse.getOutputStream().write('x');
            assertThat(inUse.getInputStream().read()).isEqualTo('x');
            assertThat(orders.stats().idleClosed()).isEqualTo(1);
        }
    }

    @Test
    void evictingAnUnknownPoolAnswers404() throws Exception {
        assertThat(new Http(port).post("/actuator/connpools/nope").status()).isEqualTo(404);
    }
}
