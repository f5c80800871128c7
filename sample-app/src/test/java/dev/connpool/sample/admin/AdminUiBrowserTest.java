package dev.connpool.sample.admin;

import static dev.connpool.sample.support.AdminUi.UI;
import static org.assertj.core.api.Assertions.assertThat;

import com.jayway.jsonpath.JsonPath;
import dev.connpool.adminui.HeadlessChromium;
import dev.connpool.sample.SampleApplication;
import dev.connpool.sample.backends.EmbeddedBackends;
import dev.connpool.sample.backends.LineServer;
import dev.connpool.sample.support.AdminUi;
import dev.connpool.sample.support.Http;
import dev.connpool.sample.support.NothingLeftBehind;
import dev.connpool.sample.support.RedisServer;
import dev.connpool.testkit.Ports;
import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.Select;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The sample app's Spring Boot Admin in a real headless Chromium, as application.yml configures it: the
 * app registered in its own admin server; its health tree with {@code connpool} and one entry per pool,
 * following an echo backend that stops and comes back; the pool meters in the metrics view; and the
 * {@code connpools} view of the UI extension, whose table must show what the actuator reports, whose
 * Evict button closes a pool's idle connections, and whose Soft evict, Suspend/Resume buttons and
 * Resize form do what the endpoint's write operation does. Screenshots go to {@code target/screenshots}
 * ({@code health.png}, {@code health-echo-down.png}, {@code metrics.png}, {@code connpools.png}; the
 * page, its HTML and its console as {@code failed-<test>.*} when a test fails).
 *
 * <p>With a {@code redis-server} at hand (always under CI) the {@code redis} pool has a real Redis, so
 * every pool is UP; without one it points at a closed port and must show DOWN.
 */
@ExtendWith(NothingLeftBehind.class) // registered first, so its after-all runs last
@ExtendWith(AdminUiBrowserTest.Resources.class) // before @SpringBootTest: Redis outlives the application
@SpringBootTest(classes = SampleApplication.class, webEnvironment = WebEnvironment.RANDOM_PORT, properties = {
        // the admin server reaches the app over loopback only
        "server.address=127.0.0.1",
        // the admin UI's event streams would hold up a graceful shutdown (see application.yml)
        "server.shutdown=immediate",
        "sample.backends.echo.port=0",
        "sample.backends.backend-1.port=0",
        "sample.backends.backend-2.port=0" })
@DirtiesContext
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class AdminUiBrowserTest {

    /** A backend outage takes an evict interval (2 s) and a status poll of the admin server (3 s). */
    private static final Duration OUTAGE = Duration.ofSeconds(30);
    private static final Pattern EVICTED = Pattern.compile("evicted (\\d+) idle");
    private static final Pattern SOFT_EVICTED = Pattern.compile("soft-evicted: (\\d+) idle closed, the rest when returned");

    private static RedisServer redis;
    private static HeadlessChromium browser;

    /** Skips the class without a browser (outside CI); starts Redis, if there is one, before the app. */
    static final class Resources implements ExecutionCondition, BeforeAllCallback, AfterAllCallback {

        @Override
        public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
            return HeadlessChromium.availability();
        }

        @Override
        public void beforeAll(ExtensionContext context) throws IOException {
            if (RedisServer.availability().isDisabled()) {
                return; // no redis-server, and not under CI: the redis pool stays DOWN
            }
            redis = RedisServer.start();
        }

        @Override
        public void afterAll(ExtensionContext context) {
            if (redis != null) {
                redis.close();
                redis = null;
            }
        }
    }

    @DynamicPropertySource
    static void redis(DynamicPropertyRegistry registry) {
        int port = redis != null ? redis.port() : Ports.closed();
        registry.add("connpool.pools.redis.host", () -> "127.0.0.1");
        registry.add("connpool.pools.redis.port", () -> port);
    }

    /** On a failure, the page as it was: screenshot, HTML and console. */
    @RegisterExtension
    final TestWatcher evidence = new TestWatcher() {
        @Override
        public void testFailed(ExtensionContext context, Throwable cause) {
            if (browser != null) {
                String name = "failed-" + context.getRequiredTestMethod().getName();
                browser.screenshot(name);
                browser.pageSource(name);
            }
        }
    };

    @LocalServerPort
    int port;

    @Autowired
    EmbeddedBackends backends;

    private AdminUi ui;
    private String instanceId;

    @BeforeAll
    static void startBrowser() throws IOException {
        browser = HeadlessChromium.start();
    }

    @AfterAll
    static void quitBrowser() {
        // before the application closes: extensions' after-all callbacks run after this
        if (browser != null) {
            HeadlessChromium b = browser;
            browser = null;
            b.close();
        }
        assertThat(HeadlessChromium.browserProcesses()).as("browser processes").isEmpty();
    }

    @BeforeEach
    void findTheAppInTheAdminUi() {
        browser.resize(1400, 1000);
        ui = new AdminUi(browser, port);
        instanceId = ui.awaitRegisteredInstance();
    }

    @Test
    void healthViewShowsEveryPoolUnderConnpoolAndFollowsABackendOutage() throws IOException {
        // tall enough for the whole Health panel in its screenshots
        browser.resize(1400, 2000);
        ui.openInstanceView(instanceId, "details");
        List<String> pools = ui.poolNames();
        Map<String, String> expected = new LinkedHashMap<>();
        for (String pool : pools) {
            expected.put(pool, pool.equals("redis") && redis == null ? "DOWN" : "UP");
        }
        for (Map.Entry<String, String> e : expected.entrySet()) {
            ui.awaitHealth(e.getKey(), e.getValue(), UI);
        }
        assertThat(ui.actuatorPoolStatus()).isEqualTo(expected);

        // connpool, and right under it one entry per pool, as the actuator nests them
        List<String> names = ui.healthTree().stream().map(e -> e.get("name")).toList();
        int connpool = names.indexOf("connpool");
        assertThat(connpool).as("connpool in %s", names).isPositive();
        assertThat(names.subList(connpool + 1, Math.min(names.size(), connpool + 1 + pools.size())))
                .as("the entries under connpool in %s", names)
                .containsExactlyElementsOf(ui.actuatorPoolStatus().keySet())
                .containsExactlyInAnyOrderElementsOf(pools);
        // with their details
        for (String pool : pools) {
            String target = JsonPath.read(ui.json("/actuator/connpools/" + pool), "$.target");
            assertThat(ui.healthEntry(pool).get("target")).as("target of %s", pool).isEqualTo(target);
        }
        assertThat(ui.healthEntry("echo").get("target"))
                .isEqualTo("tcp://127.0.0.1:" + backends.server(EmbeddedBackends.ECHO).port());
        browser.screenshot(ui.healthPanel(), "health");

        LineServer echo = backends.server(EmbeddedBackends.ECHO);
        echo.stop();
        try {
            ui.awaitHealth("echo", "DOWN", OUTAGE);
            assertThat(ui.healthEntry("echo").get("lastConnectError")).contains("Connection refused");
            assertThat(ui.healthEntry("connpool").get("status")).isEqualTo("DOWN");
            expected.forEach((pool, status) -> {
                if (!pool.equals("echo")) {
                    assertThat(ui.healthEntry(pool).get("status")).as("%s while echo is down", pool).isEqualTo(status);
                }
            });
            browser.screenshot(ui.healthPanel(), "health-echo-down");
        } finally {
            if (!echo.isRunning()) {
                echo.restart();
            }
        }
        ui.awaitHealth("echo", "UP", OUTAGE);
    }

    @Test
    void metricsViewOffersThePoolMetersTaggedByPool() {
        ui.openInstanceView(instanceId, "metrics");
        Select metric = browser.await(UI).withMessage("the metric select lists connpool.connections")
                .until(d -> {
                    List<WebElement> selects = d.findElements(By.id("metric"));
                    if (selects.isEmpty()) {
                        return null;
                    }
                    Select s = new Select(selects.get(0));
                    return s.getOptions().stream().anyMatch(o -> o.getText().equals("connpool.connections")) ? s : null;
                });
        List<String> meters = metric.getOptions().stream().map(WebElement::getText)
                .filter(n -> n.startsWith("connpool.")).toList();
        assertThat(meters).contains("connpool.connections", "connpool.connections.active",
                "connpool.connections.idle", "connpool.connections.pending", "connpool.connections.max",
                "connpool.connections.min", "connpool.connections.acquire", "connpool.connections.usage",
                "connpool.connections.creation", "connpool.connections.created", "connpool.connections.closed");
        metric.selectByVisibleText("connpool.connections");

        // the pool tag offers every pool
        By poolTag = By.xpath("//label[normalize-space(.)='pool']/following-sibling::div//select");
        Select pool = browser.await(UI).withMessage("the pool tag select").until(d -> {
            List<WebElement> found = d.findElements(poolTag);
            return found.isEmpty() ? null : new Select(found.get(0));
        });
        List<String> pools = ui.poolNames();
        browser.await(UI).withMessage("every pool as a value of the pool tag").until(d -> pool.getOptions().stream()
                .map(WebElement::getText).toList().containsAll(pools));
        pool.selectByVisibleText("echo");
        browser.driver().findElement(By.xpath("//button[normalize-space(.)='Add Metric']")).click();

        // a panel for the meter, with the value the actuator reports
        double value = JsonPath.read(ui.json("/actuator/metrics/connpool.connections?tag=pool:echo"),
                "$.measurements[0].value");
        By row = By.xpath("//h3[.//span[normalize-space(.)='connpool.connections']]"
                + "/ancestor::div[contains(@class,'shadow-sm')]"
                + "//span[contains(.,'pool:echo')]/ancestor::div[contains(@class,'grid-cols-3')]");
        String shown = browser.await(UI).withMessage("the echo value of connpool.connections").until(d -> {
            List<WebElement> found = d.findElements(row);
            if (found.isEmpty()) {
                return null;
            }
            String text = found.get(0).getText();
            return text.matches("(?s).*pool:echo\\s+\\d+(\\.\\d+)?\\s*") ? text : null;
        });
        assertThat(Double.parseDouble(shown.replaceAll("(?s).*pool:echo\\s+", "").trim())).isEqualTo(value);
        browser.screenshot("metrics");
    }

    @Test
    void connpoolsViewShowsWhatTheEndpointReportsAndEvicts() throws IOException {
        // some traffic, so that not every counter is 0
        for (int i = 0; i < 3; i++) {
            assertThat(new Http(port).get("/echo?msg=admin-" + i).status()).isEqualTo(200);
        }
        ui.openInstanceView(instanceId, "details");
        // the view has its entry in the instance's sidebar
        By link = By.xpath("//aside//a[normalize-space(.)='Connection Pools']");
        browser.await(UI).withMessage("Connection Pools in the sidebar").until(d -> !d.findElements(link).isEmpty());
        browser.driver().findElement(link).click();
        browser.await(UI).withMessage("the connpools route").until(d -> d.getCurrentUrl().endsWith("/connpools"));

        ui.awaitTableMatchesActuator();
        assertThat(ui.connpoolsTable()).extracting(r -> r.get("pool")).containsExactlyElementsOf(ui.poolNames());

        // Evict idle on echo: its idle connections closed (counted as idle), and the pool back to min-size
        browser.await(UI).withMessage("echo has an idle connection")
                .until(d -> (Integer) JsonPath.read(ui.json("/actuator/connpools/echo"), "$.stats.idle") >= 1);
        int closedIdle = JsonPath.read(ui.json("/actuator/connpools/echo"), "$.stats.closed.idle");
        String outcome = ui.evict("echo");
        Matcher m = EVICTED.matcher(outcome);
        assertThat(m.matches()).as(outcome).isTrue();
        int evicted = Integer.parseInt(m.group(1));
        assertThat(evicted).isPositive();
        assertThat((Integer) JsonPath.read(ui.json("/actuator/connpools/echo"), "$.stats.closed.idle"))
                .isEqualTo(closedIdle + evicted);
        assertThat(browser.driver().findElements(By.cssSelector("[data-connpools-read-only]"))).isEmpty();
        assertThat(ui.evictEnabled("echo")).isTrue();
        // the view shows the eviction: the idle count up, the pool refilled
        ui.awaitTableMatchesActuator();
        browser.resize(1400, 720);
        browser.screenshot("connpools");
    }

    @Test
    void connpoolsViewSoftEvictsSuspendsResumesAndResizesAPool() {
        Http http = new Http(port);
        LineServer echoBackend = backends.server(EmbeddedBackends.ECHO);
        ui.openInstanceView(instanceId, "connpools");
        ui.awaitTableMatchesActuator();
        try {
            // Soft evict: the idle connections are retired now (counted as lifetime closes), the pool refills
            browser.await(UI).withMessage("echo has an idle connection")
                    .until(d -> (Integer) JsonPath.read(ui.json("/actuator/connpools/echo"), "$.stats.idle") >= 1);
            int lifetimeClosed = JsonPath.read(ui.json("/actuator/connpools/echo"), "$.stats.closed.lifetime");
            String softEvicted = ui.click("echo", "soft-evict");
            Matcher m = SOFT_EVICTED.matcher(softEvicted);
            assertThat(m.matches()).as(softEvicted).isTrue();
            assertThat((Integer) JsonPath.read(ui.json("/actuator/connpools/echo"), "$.stats.closed.lifetime"))
                    .isGreaterThanOrEqualTo(lifetimeClosed + Integer.parseInt(m.group(1)));

            // Suspend: the view says so, and the pool lends nothing (the echo example times out)
            assertThat(ui.click("echo", "suspend")).isEqualTo("suspended");
            ui.awaitTableMatchesActuator();
            assertThat(ui.connpoolsTable()).filteredOn(r -> r.get("pool").equals("echo"))
                    .extracting(r -> r.get("state")).containsExactly("suspended");
            assertThat(ui.controlShown("echo", "resume")).isTrue();
            assertThat(ui.controlShown("echo", "suspend")).isFalse();
            assertThat(http.get("/echo?msg=while-suspended").status()).isEqualTo(503);
            browser.resize(1400, 720);
            browser.screenshot("connpools-suspended");

            // Resume: served again
            assertThat(ui.click("echo", "resume")).isEqualTo("resumed");
            assertThat(http.get("/echo?msg=resumed").status()).isEqualTo(200);
            ui.awaitTableMatchesActuator();

            // Resize: the sizes the endpoint reports, and the pool refilled to the new min-size on the backend
            assertThat(ui.resize("echo", 2, 5)).isEqualTo("resized to 2..5");
            assertThat((Integer) JsonPath.read(ui.json("/actuator/connpools/echo"), "$.config.minSize")).isEqualTo(2);
            assertThat((Integer) JsonPath.read(ui.json("/actuator/connpools/echo"), "$.config.maxSize")).isEqualTo(5);
            browser.await(UI).withMessage("the echo backend sees min-size 2")
                    .until(d -> echoBackend.openConnections() >= 2);
            ui.awaitTableMatchesActuator();
            // a size the pool refuses: the endpoint's rule, shown beside the form; nothing changed
            assertThat(ui.resize("echo", 6, 5)).startsWith("refused: minSize");
            assertThat((Integer) JsonPath.read(ui.json("/actuator/connpools/echo"), "$.config.minSize")).isEqualTo(2);
        } finally {
            http.postJson("/actuator/connpools/echo", "{\"action\":\"resume\"}");
            http.postJson("/actuator/connpools/echo", "{\"action\":\"resize\",\"minSize\":1,\"maxSize\":8}");
        }
    }
}
