package dev.connpool.sample.admin;

import static org.assertj.core.api.Assertions.assertThat;

import de.codecentric.boot.admin.client.registration.ApplicationRegistrator;
import de.codecentric.boot.admin.server.services.InstanceRegistry;
import dev.connpool.sample.SampleApplication;
import dev.connpool.sample.support.Http;
import dev.connpool.sample.support.NoRedis;
import dev.connpool.sample.support.NothingLeftBehind;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ApplicationContext;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * {@code sample.admin.enabled=false} turns off Spring Boot Admin as a whole: no admin server, no UI
 * under {@code /admin}, no client registering anywhere; the app itself and its actuator are as before.
 */
@ExtendWith(NothingLeftBehind.class)
@SpringBootTest(classes = SampleApplication.class, webEnvironment = WebEnvironment.RANDOM_PORT, properties = {
        "sample.admin.enabled=false",
        "sample.backends.echo.port=0",
        "sample.backends.backend-1.port=0",
        "sample.backends.backend-2.port=0" })
@DirtiesContext
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AdminOffTest {

    @DynamicPropertySource
    static void noRedis(DynamicPropertyRegistry registry) {
        NoRedis.register(registry);
    }

    @LocalServerPort
    int port;

    @Autowired
    ApplicationContext context;

    @Test
    void noAdminServerNoUiNoClient() throws Exception {
        assertThat(context.getBeanNamesForType(AdminConfiguration.class)).isEmpty();
        assertThat(context.getBeanNamesForType(InstanceRegistry.class)).isEmpty();
        assertThat(context.getBeanNamesForType(ApplicationRegistrator.class)).isEmpty();

        Http http = new Http(port);
        assertThat(http.get("/admin/applications").status()).isEqualTo(404);
        assertThat(http.getJson("/admin/instances").status()).isEqualTo(404);
        assertThat(http.get("/admin/extensions/connpools/index.js").status()).isEqualTo(404);
        // the app and its actuator are still there
        assertThat(http.get("/echo?msg=hi").status()).isEqualTo(200);
        assertThat(http.get("/actuator/connpools").status()).isEqualTo(200);
    }
}
