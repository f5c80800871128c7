package dev.connpool.sample.admin;

import static dev.connpool.sample.support.AdminUi.UI;
import static org.assertj.core.api.Assertions.assertThat;

import dev.connpool.sample.SampleApplication;
import dev.connpool.sample.support.AdminUi;
import dev.connpool.adminui.HeadlessChromium;
import dev.connpool.sample.support.Http;
import dev.connpool.sample.support.NoRedis;
import dev.connpool.sample.support.NothingLeftBehind;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.openqa.selenium.By;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The {@code connpools} view of the admin UI when the endpoint has the starter's default access,
 * read-only: the table still shows every pool (opened by its URL, which also checks that a deep link
 * to an extension's view works); the endpoint says it is read-only, so the view offers no control
 * (evict, soft evict, suspend, resume, resize) and says why and how to allow them.
 */
@ExtendWith(NothingLeftBehind.class)
@ExtendWith(AdminUiReadOnlyBrowserTest.Browser.class)
@SpringBootTest(classes = SampleApplication.class, webEnvironment = WebEnvironment.RANDOM_PORT, properties = {
        "server.address=127.0.0.1",
        // the admin UI's event streams would hold up a graceful shutdown (see application.yml)
        "server.shutdown=immediate",
        "sample.backends.echo.port=0",
        "sample.backends.backend-1.port=0",
        "sample.backends.backend-2.port=0",
        "management.endpoint.connpools.access=read_only" })
@DirtiesContext
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AdminUiReadOnlyBrowserTest {

    /** Skips the class without a browser, outside CI. */
    static final class Browser implements ExecutionCondition {

        @Override
        public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
            return HeadlessChromium.availability();
        }
    }

    @DynamicPropertySource
    static void noRedis(DynamicPropertyRegistry registry) {
        NoRedis.register(registry);
    }

    @LocalServerPort
    int port;

    @Test
    void theViewOffersNoControlsAndSaysWhy() throws IOException {
        // the endpoint itself refuses every write
        Http http = new Http(port);
        assertThat(http.postJson("/actuator/connpools/echo", "{}").status()).isEqualTo(405);
        assertThat(http.postJson("/actuator/connpools/echo", "{\"action\":\"suspend\"}").status()).isEqualTo(405);
        try (HeadlessChromium browser = HeadlessChromium.start()) {
            try {
                browser.resize(1400, 720);
                AdminUi ui = new AdminUi(browser, port);
                String instanceId = ui.awaitRegisteredInstance();
                ui.openInstanceView(instanceId, "connpools");
                ui.awaitTableMatchesActuator();
                String banner = browser.await(UI).withMessage("the read-only banner").until(d -> {
                    var found = d.findElements(By.cssSelector("[data-connpools-read-only]"));
                    return found.isEmpty() ? null : found.get(0).getText();
                });
                assertThat(banner).contains("read-only").contains("management.endpoint.connpools.access=unrestricted");
                for (String pool : ui.poolNames()) {
                    for (String action : new String[] {"evict", "soft-evict", "suspend", "resume", "resize"}) {
                        assertThat(ui.controlShown(pool, action)).as("%s of %s", action, pool).isFalse();
                    }
                }
                assertThat(browser.driver().findElements(By.cssSelector(".connpools input"))).isEmpty();
                assertThat(new Http(port).get("/actuator/connpools/echo").body()).contains("\"suspended\":false");
                browser.screenshot("connpools-read-only");
            } catch (RuntimeException | AssertionError e) {
                browser.screenshot("failed-read-only");
                browser.pageSource("failed-read-only");
                throw e;
            }
        }
        assertThat(HeadlessChromium.browserProcesses()).as("browser processes").isEmpty();
    }
}
