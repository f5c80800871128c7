package dev.connpool.sample.support;

import static org.assertj.core.api.Assertions.assertThat;

import com.jayway.jsonpath.JsonPath;
import dev.connpool.adminui.HeadlessChromium;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

/**
 * The sample app's Spring Boot Admin UI in a {@link HeadlessChromium}, read the way a person reads it:
 * the health tree of the instance's details, the table of the {@code connpools} view; and the same
 * facts as the app's actuator reports them, to compare with.
 */
public final class AdminUi {

    /** Longest wait for the UI to show something. */
    public static final Duration UI = Duration.ofSeconds(20);

    private static final List<String> REASONS = List.of("idle", "lifetime", "health", "unusable", "shutdown");

    private final HeadlessChromium browser;
    private final int port;

    public AdminUi(HeadlessChromium browser, int port) {
        this.browser = browser;
        this.port = port;
    }

    public String url(String path) {
        return "http://127.0.0.1:" + port + path;
    }

    /**
     * Opens the admin UI's application list, waits until it lists the sample app, and returns the id
     * of its instance.
     */
    public String awaitRegisteredInstance() {
        browser.open(url("/admin/applications"));
        browser.await(UI).withMessage("connpool-sample listed in the admin UI")
                .until(d -> d.getPageSource().contains("connpool-sample"));
        return browser.await(UI).withMessage("one connpool-sample instance in /admin/instances")
                .until(d -> {
                    List<String> ids = JsonPath.read(json("/admin/instances"),
                            "$[?(@.registration.name == 'connpool-sample')].id");
                    return ids.size() == 1 ? ids.get(0) : null;
                });
    }

    /** Opens one view of the instance by its URL: {@code details}, {@code metrics}, {@code connpools}. */
    public void openInstanceView(String instanceId, String view) {
        browser.open(url("/admin/instances/" + instanceId + "/" + view));
    }

    /** A GET of the app (or of the admin server's API, asking for JSON) that answers 200 or 503. */
    public String json(String path) {
        Http http = new Http(port);
        Http.Response response = path.startsWith("/admin") ? http.getJson(path) : http.get(path);
        assertThat(response.status()).as("GET %s: %s", path, response).isIn(200, 503);
        return response.body();
    }

    /** The pools of {@code /actuator/connpools}, in its order. */
    public List<String> poolNames() {
        Map<String, Object> pools = JsonPath.read(json("/actuator/connpools"), "$.pools");
        return new ArrayList<>(pools.keySet());
    }

    /** Pool name to its health status, as {@code /actuator/health/connpool} reports it. */
    public Map<String, String> actuatorPoolStatus() {
        Map<String, Map<String, Object>> components = JsonPath.read(json("/actuator/health/connpool"), "$.components");
        Map<String, String> status = new LinkedHashMap<>();
        components.forEach((name, health) -> status.put(name, (String) health.get("status")));
        return status;
    }

    // ---- the health tree of the instance's details

    /** Every entry of the health tree, in document order: name, status, and its target and error details. */
    @SuppressWarnings("unchecked")
    public List<Map<String, String>> healthTree() {
        return (List<Map<String, String>>) browser.script("""
                return Array.from(document.querySelectorAll('dl[role=group]')).map(dl => {
                  const text = (selector) => {
                    const e = dl.querySelector(selector);
                    return e ? e.textContent.trim() : null;
                  };
                  return {
                    name: dl.getAttribute('aria-label'),
                    status: text('span[role=status]'),
                    target: text("dd[aria-label='target']"),
                    lastConnectError: text("dd[aria-label='lastConnectError']"),
                  };
                });""");
    }

    /** One entry of the health tree, or null. */
    public Map<String, String> healthEntry(String name) {
        return healthTree().stream().filter(e -> name.equals(e.get("name"))).findFirst().orElse(null);
    }

    /** Waits until the health tree shows the entry with the status. */
    public void awaitHealth(String name, String status, Duration timeout) {
        AtomicReference<Map<String, String>> last = new AtomicReference<>();
        browser.await(timeout).withMessage(() -> name + " " + status + " in the health view; last seen " + last.get())
                .until(d -> {
                    last.set(healthEntry(name));
                    return last.get() != null && status.equals(last.get().get("status"));
                });
    }

    /** The Health panel of the instance's details. */
    public WebElement healthPanel() {
        return browser.driver().findElement(
                By.xpath("//h3[.//span[normalize-space(.)='Health']]/ancestor::div[contains(@class,'shadow-sm')][1]"));
    }

    // ---- the connpools view

    /** The table of the connpools view, row by row: the pool's name and each cell by its field. */
    @SuppressWarnings("unchecked")
    public List<Map<String, String>> connpoolsTable() {
        return (List<Map<String, String>>) browser.script("""
                return Array.from(document.querySelectorAll('.connpools tr[data-pool]')).map(tr => {
                  const row = { pool: tr.getAttribute('data-pool') };
                  tr.querySelectorAll('td[data-field]').forEach(td => {
                    row[td.getAttribute('data-field')] = td.textContent.trim();
                  });
                  return row;
                });""");
    }

    /** The same rows as the actuator reports them now: {@code /actuator/connpools} and its pools' health. */
    public List<Map<String, String>> actuatorTable() {
        String body = json("/actuator/connpools");
        Map<String, String> status = actuatorPoolStatus();
        List<Map<String, String>> rows = new ArrayList<>();
        Map<String, Object> pools = JsonPath.read(body, "$.pools");
        for (String pool : pools.keySet()) {
            String p = "$.pools['" + pool + "']";
            Map<String, String> row = new LinkedHashMap<>();
            row.put("pool", pool);
            row.put("status", status.getOrDefault(pool, "–"));
            for (String field : List.of("size", "active", "idle", "waiters", "created")) {
                row.put(field, String.valueOf((Object) JsonPath.read(body, p + ".stats." + field)));
            }
            row.put("min", String.valueOf((Object) JsonPath.read(body, p + ".config.minSize")));
            row.put("max", String.valueOf((Object) JsonPath.read(body, p + ".config.maxSize")));
            row.put("leaked", String.valueOf((Object) JsonPath.read(body, p + ".stats.leaksSuspected")));
            boolean closed = JsonPath.read(body, p + ".closed");
            boolean suspended = JsonPath.read(body, p + ".suspended");
            row.put("state", closed ? "closed" : suspended ? "suspended" : "active");
            for (String reason : REASONS) {
                row.put("closed." + reason, String.valueOf((Object) JsonPath.read(body, p + ".stats.closed." + reason)));
            }
            rows.add(row);
        }
        return rows;
    }

    /**
     * Waits until the connpools table and the actuator agree, pool by pool, status and number by number
     * (the view refreshes every 2 s, the actuator answers now).
     */
    public void awaitTableMatchesActuator() {
        AtomicReference<String> last = new AtomicReference<>();
        browser.await(UI).withMessage(() -> "the connpools table as /actuator/connpools reports it; " + last.get())
                .until(d -> {
                    List<Map<String, String>> shown = connpoolsTable();
                    List<Map<String, String>> reported = actuatorTable();
                    last.set("shown " + shown + ", reported " + reported);
                    return !reported.isEmpty() && shown.equals(reported);
                });
    }

    /** Clicks Evict idle of a pool and returns the outcome the view shows beside it. */
    public String evict(String pool) {
        return click(pool, "evict");
    }

    /**
     * Clicks a control of a pool ({@code evict}, {@code soft-evict}, {@code suspend}, {@code resume})
     * and returns the outcome the view shows beside it, once it is the outcome of this click.
     */
    public String click(String pool, String action) {
        String before = outcome(pool);
        browser.driver().findElement(control(pool, action)).click();
        return awaitOutcome(pool, action, before);
    }

    /** Types the sizes into the resize form of a pool, submits it and returns the outcome shown. */
    public String resize(String pool, int minSize, int maxSize) {
        String before = outcome(pool);
        for (Map.Entry<String, Integer> size : Map.of("minSize", minSize, "maxSize", maxSize).entrySet()) {
            WebElement input = browser.driver().findElement(
                    By.cssSelector("tr[data-pool-controls='" + pool + "'] input[data-input='" + size.getKey() + "']"));
            input.clear();
            input.sendKeys(String.valueOf(size.getValue()));
        }
        browser.driver().findElement(control(pool, "resize")).click();
        return awaitOutcome(pool, "resize", before);
    }

    private String awaitOutcome(String pool, String action, String before) {
        // the outcome of the click: the button is enabled again, and the text changed (or is the first)
        return browser.await(UI).withMessage("the outcome of " + action + " on " + pool).until(d -> {
            String now = outcome(pool);
            boolean done = d.findElements(control(pool, action)).stream().allMatch(WebElement::isEnabled);
            return now != null && done && !now.equals(before) ? now : null;
        });
    }

    /** The outcome the view shows beside a pool's controls, or null. */
    public String outcome(String pool) {
        List<WebElement> found = browser.driver().findElements(
                By.cssSelector("tr[data-pool-controls='" + pool + "'] [data-field='outcome']"));
        return found.isEmpty() ? null : found.get(0).getText();
    }

    private static By control(String pool, String action) {
        return By.cssSelector("tr[data-pool-controls='" + pool + "'] button[data-action='" + action + "']");
    }

    /** Whether a control of a pool is shown. */
    public boolean controlShown(String pool, String action) {
        return !browser.driver().findElements(control(pool, action)).isEmpty();
    }

    /** Whether the Evict idle button of a pool is enabled. */
    public boolean evictEnabled(String pool) {
        return browser.driver().findElement(control(pool, "evict")).isEnabled();
    }
}
