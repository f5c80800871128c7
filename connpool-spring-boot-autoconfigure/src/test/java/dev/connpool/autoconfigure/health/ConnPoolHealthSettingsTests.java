package dev.connpool.autoconfigure.health;

import static org.assertj.core.api.Assertions.assertThat;

import dev.connpool.autoconfigure.ConnPoolAutoConfiguration;
import dev.connpool.testkit.HangingServer;
import dev.connpool.testkit.NoPoolThreads;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.CompositeHealthContributor;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * The probe settings under {@code connpool.health}, and the deprecated keys under
 * {@code management.health.connpool} they replace: still read, the new ones winning. Seen as users
 * see them: a probe against a backend that never accepts is DOWN after the probe timeout, which the
 * details name.
 */
@ExtendWith(NoPoolThreads.AfterProbes.class)
class ConnPoolHealthSettingsTests {

    private HangingServer backend;
    private ApplicationContextRunner runner;

    @BeforeEach
    void start() throws Exception {
        backend = new HangingServer();
        runner = new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(ConnPoolAutoConfiguration.class,
                        ConnPoolHealthContributorAutoConfiguration.class))
                .withPropertyValues("connpool.pools.orders.host=127.0.0.1",
                        "connpool.pools.orders.port=" + backend.port(), "connpool.pools.orders.min-size=0");
    }

    @AfterEach
    void stop() throws Exception {
        backend.close();
    }

    private static Health orders(AssertableApplicationContext context) {
        CompositeHealthContributor connpool = context.getBean("connpoolHealthContributor",
                CompositeHealthContributor.class);
        return ((HealthIndicator) connpool.getContributor("orders")).health();
    }

    @Test
    void probeTimeoutDefaultsTo500ms() {
        runner.run(context -> assertThat(orders(context).getDetails())
                .containsEntry("probe", "no connection within 500ms"));
    }

    @Test
    void probeTimeoutIsSetUnderConnpoolHealth() {
        runner.withPropertyValues("connpool.health.probe-timeout=200ms").run(context -> {
            Health health = orders(context);
            assertThat(health.getStatus()).isEqualTo(Status.DOWN);
            assertThat(health.getDetails()).containsEntry("probe", "no connection within 200ms");
        });
    }

    @Test
    void theDeprecatedKeyIsStillRead() {
        runner.withPropertyValues("management.health.connpool.probe-timeout=300ms").run(context -> assertThat(
                orders(context).getDetails()).containsEntry("probe", "no connection within 300ms"));
    }

    @Test
    void theNewKeyWinsOverTheDeprecatedOne() {
        runner.withPropertyValues("management.health.connpool.probe-timeout=300ms",
                "connpool.health.probe-timeout=200ms").run(context -> assertThat(
                orders(context).getDetails()).containsEntry("probe", "no connection within 200ms"));
    }
}
