package dev.connpool.adminui;

import static org.assertj.core.api.Assertions.assertThat;

import com.jayway.jsonpath.JsonPath;
import de.codecentric.boot.admin.server.config.EnableAdminServer;
import dev.connpool.testkit.Await;
import dev.connpool.testkit.TestServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Configuration;

/**
 * The jar as users run it: a Spring Boot Admin server of its own, with this module on its class path
 * and nothing else of connpool's; a separate client application with two pools, registered with it.
 * The server serves the extension ({@code /extensions/connpools/index.js}), and its Connection Pools
 * view, in a real headless Chromium, lists the client's pools as the client's actuator reports them.
 * Screenshot: {@code target/screenshots/admin-server-connpools.png}.
 */
@ExtendWith(ConnPoolsViewBrowserTest.BrowserAvailable.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ConnPoolsViewBrowserTest {

    private static final Duration UI = Duration.ofSeconds(30);
    private static final String CLIENT = "orders-service";

    private static TestServer backend;
    private static ConfigurableApplicationContext admin;
    private static ConfigurableApplicationContext client;
    private static HeadlessChromium browser;

    /** Skips the class without a browser, except under CI=true, where it must run. */
    static final class BrowserAvailable implements ExecutionCondition {

        @Override
        public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
            return HeadlessChromium.availability();
        }
    }

    /** The admin server: Spring Boot Admin, and whatever UI extensions are on the class path. */
    @Configuration(proxyBeanMethods = false)
    @EnableAutoConfiguration
    @EnableAdminServer
    static class AdminServer {
    }

    /** An application using the connpool starter, with the Spring Boot Admin client. */
    @Configuration(proxyBeanMethods = false)
    @EnableAutoConfiguration
    static class ClientApplication {
    }

    @BeforeAll
    static void start() throws IOException {
        backend = TestServer.echo();
        admin = new SpringApplicationBuilder(AdminServer.class)
                .web(WebApplicationType.SERVLET)
                .properties("spring.application.name=admin-server",
                        "server.port=0", "server.address=127.0.0.1",
                        // the UI's event streams would hold up a graceful shutdown
                        "server.shutdown=immediate",
                        "spring.boot.admin.client.enabled=false",
                        "spring.boot.admin.monitor.status-interval=2s",
                        "spring.boot.admin.monitor.status-lifetime=2s",
                        "spring.thymeleaf.check-template-location=false",
                        "connpool.enabled=false")
                .run();
        client = new SpringApplicationBuilder(ClientApplication.class)
                .web(WebApplicationType.SERVLET)
                .properties("spring.application.name=" + CLIENT,
                        "server.port=0", "server.address=127.0.0.1",
                        "spring.boot.admin.client.url=" + adminUrl(""),
                        "spring.boot.admin.client.instance.service-host-type=IP",
                        "spring.boot.admin.client.period=2s",
                        "management.endpoints.web.exposure.include=health,connpools",
                        "management.endpoint.health.show-details=always",
                        "connpool.defaults.host=127.0.0.1",
                        "connpool.defaults.port=" + backend.port(),
                        "connpool.pools.orders.min-size=2",
                        "connpool.pools.orders.max-size=5",
                        "connpool.pools.users.min-size=1",
                        "connpool.pools.users.max-size=3")
                .run();
        browser = HeadlessChromium.start();
    }

    @AfterAll
    static void stop() throws IOException {
        try {
            if (browser != null) {
                browser.close();
            }
        } finally {
            if (client != null) {
                client.close();
            }
            if (admin != null) {
                admin.close();
            }
            if (backend != null) {
                backend.close();
            }
        }
        assertThat(HeadlessChromium.browserProcesses()).as("browser processes").isEmpty();
        Await.until(() -> poolThreads().isEmpty(), Duration.ofSeconds(10), () -> "left behind: " + poolThreads());
    }

    @Test
    void theAdminServerServesTheExtensionFromTheJar() {
        for (String file : List.of("index.js", "connpools.css")) {
            Response response = get(adminUrl("/extensions/connpools/" + file), "*/*");
            assertThat(response.statusCode()).as(file).isEqualTo(200);
            assertThat(response.body()).as(file).isEqualTo(resource(
                    "META-INF/spring-boot-admin-server-ui/extensions/connpools/" + file));
        }
    }

    @Test
    void theViewListsTheClientsPoolsAsItsActuatorReportsThem() {
        String instance = awaitRegisteredInstance();
        browser.resize(1400, 900);
        browser.open(adminUrl("/instances/" + instance + "/connpools"));
        AtomicReference<String> last = new AtomicReference<>();
        try {
            browser.await(UI).withMessage(() -> "the connpools view as the client reports it; " + last.get())
                    .until(d -> {
                        List<Map<String, String>> shown = table();
                        List<Map<String, String>> reported = reported();
                        last.set("shown " + shown + ", reported " + reported);
                        return shown.equals(reported);
                    });
        } catch (RuntimeException | AssertionError e) {
            browser.screenshot("failed-admin-server-connpools");
            browser.pageSource("failed-admin-server-connpools");
            throw e;
        }
        assertThat(table()).extracting(row -> row.get("pool")).containsExactly("orders", "users");
        assertThat(table()).extracting(row -> row.get("size")).containsExactly("2", "1");
        assertThat(table()).extracting(row -> row.get("state")).containsExactly("active", "active");
        assertThat(table()).extracting(row -> row.get("leaked")).containsExactly("0", "0");
        // the client's endpoint is read-only (the starter's default): no control is offered, and the view says why
        assertThat((Long) browser.script("return document.querySelectorAll('.connpools [data-action]').length"))
                .isZero();
        assertThat((String) browser.script(
                "const e = document.querySelector('[data-connpools-read-only]'); return e ? e.textContent : null"))
                .contains("management.endpoint.connpools.access=unrestricted");
        browser.screenshot("admin-server-connpools");
    }

    /** Waits until the admin server lists the client, and returns its instance id. */
    private static String awaitRegisteredInstance() {
        AtomicReference<String> id = new AtomicReference<>();
        Await.until(() -> {
            Response response = get(adminUrl("/instances"), "application/json");
            if (response.statusCode() != 200) {
                return false;
            }
            List<String> ids = JsonPath.read(response.body(), "$[?(@.registration.name == '" + CLIENT + "')].id");
            id.set(ids.size() == 1 ? ids.get(0) : null);
            return id.get() != null;
        }, UI, CLIENT + " registered with the admin server");
        return id.get();
    }

    /** The rows of the view: pool, status and size as shown. */
    @SuppressWarnings("unchecked")
    private static List<Map<String, String>> table() {
        return (List<Map<String, String>>) browser.script("""
                return Array.from(document.querySelectorAll('.connpools tr[data-pool]')).map(tr => {
                  const cell = (field) => {
                    const td = tr.querySelector("td[data-field='" + field + "']");
                    return td ? td.textContent.trim() : null;
                  };
                  return { pool: tr.getAttribute('data-pool'), status: cell('status'), size: cell('size'),
                           max: cell('max'), state: cell('state'), leaked: cell('leaked') };
                });""");
    }

    /** The same rows as the client's actuator reports them. */
    private static List<Map<String, String>> reported() {
        String pools = get(clientUrl("/actuator/connpools"), "application/json").body();
        String health = get(clientUrl("/actuator/health/connpool"), "application/json").body();
        List<Map<String, String>> rows = new ArrayList<>();
        Map<String, Object> byName = JsonPath.read(pools, "$.pools");
        for (String pool : byName.keySet()) {
            Map<String, String> row = new LinkedHashMap<>();
            row.put("pool", pool);
            row.put("status", JsonPath.read(health, "$.components['" + pool + "'].status"));
            row.put("size", String.valueOf((Object) JsonPath.read(pools, "$.pools['" + pool + "'].stats.size")));
            row.put("max", String.valueOf((Object) JsonPath.read(pools, "$.pools['" + pool + "'].config.maxSize")));
            row.put("state", (Boolean) JsonPath.read(pools, "$.pools['" + pool + "'].suspended") ? "suspended" : "active");
            row.put("leaked", String.valueOf((Object) JsonPath.read(pools, "$.pools['" + pool + "'].stats.leaksSuspected")));
            rows.add(row);
        }
        return rows;
    }

    private static String adminUrl(String path) {
        return "http://127.0.0.1:" + port(admin) + path;
    }

    private static String clientUrl(String path) {
        return "http://127.0.0.1:" + port(client) + path;
    }

    private static int port(ConfigurableApplicationContext context) {
        return ((WebServerApplicationContext) context).getWebServer().getPort();
    }

    /** A GET on a connection of its own, closed after it: no client thread outlives the test. */
    private static Response get(String url, String accept) {
        try {
            HttpURLConnection conn = (HttpURLConnection) URI.create(url).toURL().openConnection();
            try {
                conn.setConnectTimeout(10_000);
                conn.setReadTimeout(10_000);
                conn.setUseCaches(false);
                conn.setRequestProperty("Connection", "close");
                conn.setRequestProperty("Accept", accept);
                int status = conn.getResponseCode();
                InputStream in = status >= 400 ? conn.getErrorStream() : conn.getInputStream();
                return new Response(status, in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8));
            } finally {
                conn.disconnect();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("GET " + url, e);
        }
    }

    private record Response(int statusCode, String body) {
    }

    private static String resource(String name) {
        try (InputStream in = ConnPoolsViewBrowserTest.class.getClassLoader().getResourceAsStream(name)) {
            assertThat(in).as(name).isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String poolThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().startsWith("connpool-"))
                .map(Thread::getName)
                .sorted()
                .collect(Collectors.joining(", "));
    }
}
