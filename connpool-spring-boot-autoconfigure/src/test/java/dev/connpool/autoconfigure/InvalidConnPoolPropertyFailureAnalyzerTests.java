package dev.connpool.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.connpool.testkit.EchoServer;
import dev.connpool.testkit.NoPoolThreads;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.autoconfigure.ssl.SslAutoConfiguration;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Configuration;

/**
 * Invalid properties fail startup with a failure analysis that names the property, the rule, the
 * value and where it was set.
 */
@ExtendWith({ NoPoolThreads.AfterProbes.class, OutputCaptureExtension.class })
class InvalidConnPoolPropertyFailureAnalyzerTests {

    @RegisterExtension
    static final EchoServer server = new EchoServer();

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(SslAutoConfiguration.class, ConnPoolAutoConfiguration.class));

    static Stream<Arguments> invalid() {
        return Stream.of(
                Arguments.of("max-size=0", "connpool.pools.orders.max-size", "must be greater than 0", "0"),
                Arguments.of("min-size=-1", "connpool.pools.orders.min-size", "must be 0 or more", "-1"),
                Arguments.of("max-size=2,min-size=5", "connpool.pools.orders.min-size", "must not exceed max-size (2)",
                        "5"),
                Arguments.of("increment=0", "connpool.pools.orders.increment", "must be between 1 and max-size (10)",
                        "0"),
                Arguments.of("max-size=3,increment=4", "connpool.pools.orders.increment",
                        "must be between 1 and max-size (3)", "4"),
                Arguments.of("idle-timeout=-5s", "connpool.pools.orders.idle-timeout", "must not be negative", "-5s"),
                Arguments.of("max-lifetime=-1m", "connpool.pools.orders.max-lifetime", "must not be negative", "-1m"),
                Arguments.of("evict-interval=-1s", "connpool.pools.orders.evict-interval", "must not be negative",
                        "-1s"),
                Arguments.of("connect-timeout=0s", "connpool.pools.orders.connect-timeout", "must be greater than 0",
                        "0s"),
                Arguments.of("acquire-timeout=-1ms", "connpool.pools.orders.acquire-timeout", "must not be negative",
                        "-1ms"),
                Arguments.of("shutdown-grace=-1s", "connpool.pools.orders.shutdown-grace", "must not be negative",
                        "-1s"),
                Arguments.of("max-waiters=-1", "connpool.pools.orders.max-waiters", "must be 0 or more", "-1"),
                Arguments.of("host=", "connpool.pools.orders.host", "must not be blank", null),
                Arguments.of("port=70000", "connpool.pools.orders.port", "must be between 1 and 65535", "70000"),
                Arguments.of("port=0", "connpool.pools.orders.port", "must be between 1 and 65535", "0"),
                Arguments.of("health-check.type=request-response,health-check.request=PING",
                        "connpool.pools.orders.health-check.expect",
                        "is required when health-check.type is request-response", null),
                Arguments.of("health-check.type=request-response,health-check.expect=+PONG",
                        "connpool.pools.orders.health-check.request",
                        "is required when health-check.type is request-response", null),
                Arguments.of("health-check.type=request-response,health-check.request=PING\\q,health-check.expect=x",
                        "connpool.pools.orders.health-check.request", "must use only Java escapes", "PING\\q"),
                Arguments.of("health-check.type=request-response,health-check.request=PING,health-check.expect=x,"
                        + "health-check.timeout=0s", "connpool.pools.orders.health-check.timeout",
                        "must be greater than 0", "0s"),
                Arguments.of("health-check.after-idle=-1s", "connpool.pools.orders.health-check.after-idle",
                        "must not be negative", "-1s"),
                Arguments.of("leak-detection-threshold=-1s", "connpool.pools.orders.leak-detection-threshold",
                        "must not be negative", "-1s"),
                Arguments.of("max-connect-backoff=-100ms", "connpool.pools.orders.max-connect-backoff",
                        "must not be negative (0 disables backoff)", "-100ms"),
                Arguments.of("ssl.bundle=nope", "connpool.pools.orders.ssl.bundle",
                        "must name an SSL bundle configured under spring.ssl.bundle (there are: none)", "nope"),
                Arguments.of("ssl.server-name= ", "connpool.pools.orders.ssl.server-name", "must not be blank", null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalid")
    void invalidPropertyFailsStartupNamingPropertyAndRule(String settings, String property, String rule,
            String value) {
        ordersWith(settings)
                .run(context -> {
                    assertThat(context).hasFailed();
                    FailureAnalysis analysis = analyze(context.getStartupFailure());
                    assertThat(analysis).as("analysed by connpool's analyzer").isNotNull();
                    assertThat(analysis.getDescription()).contains(property + " " + rule);
                    if (value != null) {
                        assertThat(analysis.getDescription()).contains("Value: \"" + value + "\"");
                    }
                    assertThat(analysis.getAction()).contains(property);
                });
    }

    /** A runner with an orders pool on the echo server, then {@code settings} (comma-separated) under it. */
    private ApplicationContextRunner ordersWith(String settings) {
        String[] props = settings.split(",");
        for (int i = 0; i < props.length; i++) {
            props[i] = "connpool.pools.orders." + props[i];
        }
        return runner.withPropertyValues("connpool.pools.orders.host=" + server.host(),
                "connpool.pools.orders.port=" + server.port()).withPropertyValues(props);
    }

    /** Each rule's edge is inside it: the property table's rules are not one off. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = ';', value = { "port=1", "port=65535", "max-size=3,min-size=3,increment=3",
            "max-size=1,min-size=0,increment=1" })
    void theEdgeOfEachRuleIsAccepted(String settings) {
        ordersWith(settings)
                .run(context -> assertThat(context).hasNotFailed());
    }

    @Test
    void missingHostIsReportedWithWhereToSetIt() {
        runner.withPropertyValues("connpool.pools.orders.port=" + server.port()).run(context -> {
            FailureAnalysis analysis = analyze(context.getStartupFailure());
            assertThat(analysis.getDescription()).contains("connpool.pools.orders.host is required");
            assertThat(analysis.getAction())
                    .isEqualTo("Set connpool.pools.orders.host (or the default for every pool, connpool.defaults.host).");
        });
    }

    @Test
    void missingPortIsReported() {
        runner.withPropertyValues("connpool.pools.orders.host=" + server.host()).run(context -> {
            assertThat(analyze(context.getStartupFailure()).getDescription())
                    .contains("connpool.pools.orders.port is required");
            // a missing value: the exception says the rule, and no "(was ...)"
            InvalidConnPoolPropertyException cause = causeOf(context.getStartupFailure());
            assertThat(cause.getValue()).isNull();
            assertThat(cause.getInheritedFrom()).isNull();
            assertThat(cause.getOrigin()).isNull();
            assertThat(cause.getMessage()).isEqualTo("connpool.pools.orders.port is required: the TCP port of the backend");
        });
    }

    @Test
    void aValueInheritedFromTheDefaultsIsReportedUnderThePoolAndTheDefault() {
        runner.withPropertyValues("connpool.defaults.max-size=0", "connpool.pools.orders.host=" + server.host(),
                        "connpool.pools.orders.port=" + server.port())
                .run(context -> {
                    FailureAnalysis analysis = analyze(context.getStartupFailure());
                    assertThat(analysis.getDescription()).contains("connpool.pools.orders.max-size must be greater than 0")
                            .contains("Inherited from: connpool.defaults.max-size");
                    assertThat(analysis.getAction()).isEqualTo("Update connpool.defaults.max-size, or override it with "
                            + "connpool.pools.orders.max-size: the value must be greater than 0.");
                    InvalidConnPoolPropertyException cause = causeOf(context.getStartupFailure());
                    assertThat(cause.getProperty()).isEqualTo("connpool.pools.orders.max-size");
                    assertThat(cause.getValue()).hasToString("0");
                    assertThat(cause.getRule()).isEqualTo("must be greater than 0");
                    assertThat(cause.getInheritedFrom()).isEqualTo("connpool.defaults.max-size");
                    assertThat(cause.getMessage()).startsWith("connpool.pools.orders.max-size must be greater than 0 "
                            + "(was 0, inherited from connpool.defaults.max-size").endsWith(")");
                });
    }

    @Test
    void theApplicationReportsTheFailureWithTheOriginOfTheValue(CapturedOutput output) {
        SpringApplication app = new SpringApplication(App.class);
        app.setWebApplicationType(WebApplicationType.NONE);
        app.setDefaultProperties(java.util.Map.of("spring.config.location", "classpath:failure/invalid-pool.yml"));
        Throwable failure = null;
        try {
            app.run().close();
        } catch (Throwable t) {
            failure = t;
        }
        assertThat(failure).isNotNull();
        assertThat(output).contains("APPLICATION FAILED TO START")
                .contains("Invalid connection pool configuration: connpool.pools.orders.max-size must be greater than 0.")
                .contains("Origin: class path resource [failure/invalid-pool.yml] - 7:17")
                .contains("Update connpool.pools.orders.max-size: its value must be greater than 0.");
        InvalidConnPoolPropertyException cause = causeOf(failure);
        assertThat(cause.getOrigin()).isEqualTo("class path resource [failure/invalid-pool.yml] - 7:17");
        assertThat(cause.getInheritedFrom()).isNull();
        assertThat(cause.getMessage()).isEqualTo("connpool.pools.orders.max-size must be greater than 0 "
                + "(was 0, set in class path resource [failure/invalid-pool.yml] - 7:17)");
    }

    @Test
    void anUnknownHealthCheckTypeIsReportedWithTheValidOnes(CapturedOutput output) {
        // an enum: Spring Boot's binder rejects it, and its analysis lists the values
        SpringApplication app = new SpringApplication(App.class);
        app.setWebApplicationType(WebApplicationType.NONE);
        app.setDefaultProperties(java.util.Map.of("connpool.pools.orders.host", server.host(),
                "connpool.pools.orders.port", server.port(), "connpool.pools.orders.health-check.type", "ping"));
        Throwable failure = null;
        try {
            app.run().close();
        } catch (Throwable t) {
            failure = t;
        }
        assertThat(failure).isNotNull();
        assertThat(output).contains("APPLICATION FAILED TO START")
                .contains("connpool.pools.orders.health-check.type")
                .contains("ping")
                .contains("NONE").contains("LIVENESS").contains("REQUEST_RESPONSE");
    }

    private static InvalidConnPoolPropertyException causeOf(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof InvalidConnPoolPropertyException invalid) {
                return invalid;
            }
        }
        throw new AssertionError("no InvalidConnPoolPropertyException in " + failure, failure);
    }

    private static FailureAnalysis analyze(Throwable failure) {
        return new InvalidConnPoolPropertyFailureAnalyzer().analyze(failure);
    }

    @Configuration(proxyBeanMethods = false)
    @ImportAutoConfiguration({ SslAutoConfiguration.class, ConnPoolAutoConfiguration.class })
    static class App {
    }
}
