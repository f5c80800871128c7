package dev.connpool.sample.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.connpool.ConnPool;
import dev.connpool.sample.SampleApplication;
import dev.connpool.sample.support.Http;
import dev.connpool.sample.support.NoRedis;
import dev.connpool.sample.support.NothingLeftBehind;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.Map;
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
 * The sample's safety default, as application.yml sets it (no {@code server.address} given here): it
 * listens on 127.0.0.1 only, and a request that changes something (here the actuator's evict and a
 * Redis command) is refused with 403 when a web page of another origin sends it, or when it names a
 * host that is not this machine (DNS rebinding); the same request from this machine goes through.
 */
@ExtendWith(NothingLeftBehind.class)
@SpringBootTest(classes = SampleApplication.class, webEnvironment = WebEnvironment.RANDOM_PORT, properties = {
        "sample.admin.enabled=false",
        "sample.backends.echo.port=0",
        "sample.backends.backend-1.port=0",
        "sample.backends.backend-2.port=0" })
@DirtiesContext
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LocalWritesOnlyTest {

    private static final String EVICT = "/actuator/connpools/echo";

    @DynamicPropertySource
    static void noRedis(DynamicPropertyRegistry registry) {
        NoRedis.register(registry);
    }

    @LocalServerPort
    int port;

    @Autowired
    @Qualifier("echo")
    ConnPool echo;

    @Test
    void listensOnTheLoopbackAddressOnly() throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5_000);
        }
        // another address of this machine (127.0.0.2 is loopback too, but not the address listened on)
        try (Socket s = new Socket()) {
            org.assertj.core.api.Assertions.assertThatExceptionOfType(ConnectException.class)
                    .isThrownBy(() -> s.connect(new InetSocketAddress("127.0.0.2", port), 5_000));
        }
    }

    @Test
    void aWriteFromTheWebPageOfAnotherOriginIsRefused() {
        long evictedBefore = echo.stats().idleClosed();
        Http.Response response = new Http(port).postJsonWithHeaders(EVICT, "{}",
                Map.of("Origin", "http://evil.example"));
        assertThat(response.status()).as("%s", response).isEqualTo(403);
        assertThat(response.body()).contains("another origin");
        assertThat(echo.stats().idleClosed()).isEqualTo(evictedBefore);

        // a command to the Redis proxy too, before it reaches the proxy
        assertThat(new Http(port).postJsonWithHeaders("/redis", "[\"FLUSHALL\"]",
                Map.of("Origin", "http://evil.example")).status()).isEqualTo(403);
    }

    @Test
    void aWriteThatNamesAnotherHostIsRefused() {
        long evictedBefore = echo.stats().idleClosed();
        Http.Response response = new Http(port).postJsonWithHeaders(EVICT, "{}",
                Map.of("Host", "evil.example:" + port, "Origin", "http://evil.example:" + port));
        assertThat(response.status()).as("%s", response).isEqualTo(403);
        assertThat(echo.stats().idleClosed()).isEqualTo(evictedBefore);
    }

    @Test
    void aWriteFromThisMachineGoesThrough() {
        Http http = new Http(port);
        // as curl sends it (no Origin), and as the admin UI's page sends it (its own origin)
        assertThat(http.postJson(EVICT, "{}").status()).isEqualTo(200);
        assertThat(http.postJsonWithHeaders(EVICT, "{}", Map.of("Origin", "http://127.0.0.1:" + port)).status())
                .isEqualTo(200);
        assertThat(http.postJsonWithHeaders(EVICT, "{}",
                Map.of("Host", "localhost:" + port, "Origin", "http://localhost:" + port)).status())
                .isEqualTo(200);
    }

    @Test
    void theRuleRefusesAClientOnAnotherMachine() {
        // no traffic leaves this machine in a test: the rule itself, with another machine's address
        assertThat(LocalWritesOnly.refusal("192.0.2.7", "127.0.0.1:8080", null)).contains("not on this machine");
        assertThat(LocalWritesOnly.refusal("127.0.0.1", null, null)).contains("Host header is missing");
        assertThat(LocalWritesOnly.refusal("127.0.0.1", "127.0.0.1:8080", "null")).contains("another origin");
        assertThat(LocalWritesOnly.refusal("0:0:0:0:0:0:0:1", "[::1]:8080", "http://[::1]:8080")).isNull();
        // the admin server's proxy reaches the app as localhost, for a page opened as 127.0.0.1
        assertThat(LocalWritesOnly.refusal("127.0.0.1", "localhost:8080", "http://127.0.0.1:8080")).isNull();
        // another local app's page, on another port
        assertThat(LocalWritesOnly.refusal("127.0.0.1", "127.0.0.1:8080", "http://127.0.0.1:3000")).contains("another origin");
    }
}
