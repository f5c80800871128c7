package dev.connpool.sample;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.connpool.sample.support.NoRedis;
import dev.connpool.sample.support.NothingLeftBehind;
import dev.connpool.sample.support.RedisServer;
import dev.connpool.testkit.Ports;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The command-line modes, run in-process as {@code main} runs them ({@link SampleApplication#application}),
 * their standard output captured: each prints what the original example printed, then the pool
 * statistics, and the exit code says whether every request succeeded.
 */
@ExtendWith({ NothingLeftBehind.class, OutputCaptureExtension.class })
@NothingLeftBehind.PerTest
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DemoModesTest {

    /** Runs the app as main does and returns the exit code main would exit with. */
    static int runDemo(String... args) {
        ConfigurableApplicationContext context = SampleApplication.application(args).run(args);
        return SpringApplication.exit(context); // closes the context
    }

    /** No Redis for demos that do not need it, whatever runs on this machine's 6379. */
    private static String[] withoutRedis(String... args) {
        List<String> all = new ArrayList<>(Arrays.asList(args));
        all.add("--connpool.pools.redis.host=127.0.0.1");
        all.add("--connpool.pools.redis.port=" + Ports.closed());
        return all.toArray(String[]::new);
    }

    private static List<String> lines(CapturedOutput output, String prefix) {
        return output.getOut().lines().filter(l -> l.startsWith(prefix)).collect(Collectors.toList());
    }

    @Test
    void tcpEchoSendsFiveMessagesThenPrintsThePoolStats(CapturedOutput output) {
        assertThat(runDemo(withoutRedis("--demo=tcp-echo"))).isZero();
        assertThat(lines(output, "sent: ")).containsExactly(
                "sent: hello 1  got: hello 1",
                "sent: hello 2  got: hello 2",
                "sent: hello 3  got: hello 3",
                "sent: hello 4  got: hello 4",
                "sent: hello 5  got: hello 5");
        assertThat(lines(output, "pool echo: ")).singleElement().asString()
                .contains("active=0").contains("requests=5, successes=5");
        // a demo logs warnings only, and no web server starts
        assertThat(output.getOut()).doesNotContain("Tomcat started").doesNotContain(" INFO ");
    }

    @Test
    void loadBalancerSendsEightRequestsInTurnThenPrintsEachPoolsStats(CapturedOutput output) {
        assertThat(runDemo(withoutRedis("--demo=load-balancer"))).isZero();
        List<String> answers = lines(output, "request ");
        assertThat(answers).hasSize(8);
        for (int i = 0; i < 8; i++) {
            String backend = answers.get(0).contains("-> backend-1") == (i % 2 == 0) ? "backend-1" : "backend-2";
            assertThat(answers.get(i)).isEqualTo("request " + (i + 1) + " -> " + backend + " replied \"" + backend
                    + ": request " + (i + 1) + "\"");
        }
        assertThat(lines(output, "pool backend-1: ")).singleElement().asString().contains("successes=4");
        assertThat(lines(output, "pool backend-2: ")).singleElement().asString().contains("successes=4");
    }

    @Test
    void redisProxyPingsTenTimesThenPrintsThePoolStats(CapturedOutput output) throws Exception {
        try (RedisServer redis = RedisServer.start()) {
            int code = runDemo("--demo=redis-proxy", "--connpool.pools.redis.host=127.0.0.1",
                    "--connpool.pools.redis.port=" + redis.port());
            assertThat(code).isZero();
        }
        List<String> pings = lines(output, "PING ");
        assertThat(pings).hasSize(10);
        for (int i = 0; i < 10; i++) {
            assertThat(pings.get(i)).matches("PING " + (i + 1) + ": \\+PONG \\(\\d+\\.\\d\\d ms\\)");
        }
        assertThat(lines(output, "pool redis: ")).singleElement().asString().contains("requests=10, successes=10");
    }

    @Test
    void redisProxyWithoutRedisSaysWhyAndExitsWithOne(CapturedOutput output) {
        assertThat(runDemo(withoutRedis("--demo=redis-proxy"))).isEqualTo(1);
        List<String> pings = lines(output, "PING ");
        assertThat(pings).hasSize(10).allSatisfy(line -> assertThat(line)
                .containsPattern(": failed: " + NoRedis.CONNECT_FAILED)
                .contains("Connection refused"));
        assertThat(lines(output, "pool redis: ")).singleElement().asString().contains("successes=0");
    }

    @Test
    void anUnknownDemoIsRefusedWithTheList() {
        assertThatThrownBy(() -> SampleApplication.application("--demo=nope"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'nope'")
                .hasMessageContaining("tcp-echo").hasMessageContaining("redis-proxy").hasMessageContaining("load-balancer");
    }
}
