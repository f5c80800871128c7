package dev.connpool.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.connpool.ConnPool;
import dev.connpool.testkit.TestServer;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;

/**
 * A child context's close reaches the parent's listeners too; the CRaC lifecycle must take only its
 * own context's close for "the context closes" (found by the review of issue 12: after a child
 * closed, a checkpoint's stop() neither suspended nor emptied the pools).
 */
class CheckpointRestoreChildContextTests {

    @Test
    void closingAChildContextDisablesCheckpointStopOfTheParent() throws Exception {
        try (TestServer server = TestServer.echo()) {
            new ApplicationContextRunner()
                    .withConfiguration(AutoConfigurations.of(ConnPoolAutoConfiguration.class))
                    .withPropertyValues("connpool.defaults.host=" + server.host(),
                            "connpool.defaults.port=" + server.port(), "connpool.pools.orders.min-size=2")
                    .run(context -> {
                        server.awaitOpen(2, Duration.ofSeconds(10));
                        // e.g. a Feign/LoadBalancer named child context, a SpringApplicationBuilder child
                        AnnotationConfigApplicationContext child = new AnnotationConfigApplicationContext();
                        child.setParent(context);
                        child.refresh();
                        child.close();

                        context.stop(); // what Spring's CRaC support calls before a checkpoint
                        ConnPool orders = context.getBean("orders", ConnPool.class);
                        assertThat(orders.isSuspended()).as("pool suspended by stop()").isTrue();
                        server.awaitOpen(0, Duration.ofSeconds(10));
                        context.start();
                        server.awaitOpen(2, Duration.ofSeconds(10));
                    });
        }
    }
}
