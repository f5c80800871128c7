package dev.connpool.sample.web;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;

/**
 * The sample refuses to start where its write guard would only look safe: a separate management
 * port (not guarded) and forwarded headers (a client could name itself 127.0.0.1), set by hand or,
 * as Boot does on Kubernetes, by the platform. Found by the review of issue 12, which suspended a
 * pool through each.
 */
class WebSafetyConfigurationTest {

    private final WebApplicationContextRunner runner = new WebApplicationContextRunner()
            .withUserConfiguration(WebSafetyConfiguration.class);

    @Test
    void startsWithTheDefaultsAndWithTheManagementPortOnTheAppsOwnPort() {
        runner.run(context -> assertThat(context).hasNotFailed().hasBean("localWritesOnly"));
        runner.withPropertyValues("server.port=8080", "management.server.port=8080")
                .run(context -> assertThat(context).hasNotFailed());
        runner.withPropertyValues("server.forward-headers-strategy=none", "KUBERNETES_SERVICE_HOST=10.0.0.1",
                        "KUBERNETES_SERVICE_PORT=443")
                .run(context -> assertThat(context).hasNotFailed());
    }

    @Test
    void refusesASeparateManagementPort() {
        runner.withPropertyValues("management.server.port=18083").run(context -> assertThat(context).hasFailed()
                .getFailure().rootCause().hasMessageContaining("management.server.port=18083")
                .hasMessageContaining("sample.local-writes-only"));
    }

    @Test
    void refusesForwardedHeadersSetByHandOrByThePlatform() {
        for (String strategy : new String[] {"native", "framework"}) {
            runner.withPropertyValues("server.forward-headers-strategy=" + strategy).run(context -> assertThat(context)
                    .hasFailed().getFailure().rootCause().hasMessageContaining("X-Forwarded-For"));
        }
        runner.withPropertyValues("spring.main.cloud-platform=kubernetes").run(context -> assertThat(context)
                .hasFailed().getFailure().rootCause().hasMessageContaining("KUBERNETES"));
    }

    @Test
    void leavesItAllToTheApplicationWhenTheGuardIsOff() {
        runner.withPropertyValues("sample.local-writes-only=false", "management.server.port=18083",
                "server.forward-headers-strategy=native").run(context -> assertThat(context).hasNotFailed()
                .doesNotHaveBean("localWritesOnly"));
    }
}
