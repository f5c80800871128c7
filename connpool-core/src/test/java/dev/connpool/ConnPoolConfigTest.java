package dev.connpool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * ConnPoolConfig: defaults, and an error naming the field, the rule and the value for every broken
 * rule (the one table of the builder's rules; the Spring properties have theirs, in their own words,
 * in InvalidConnPoolPropertyFailureAnalyzerTests).
 */
class ConnPoolConfigTest {

    @Test
    void defaults() {
        ConnPoolConfig c = ConnPoolConfig.builder().maxSize(5).build();
        assertThat(c.minSize()).isZero();
        assertThat(c.maxSize()).isEqualTo(5);
        assertThat(c.increment()).isEqualTo(1);
        assertThat(c.idleTimeout()).isZero();
        assertThat(c.maxLifetime()).isZero();
        assertThat(c.healthCheck()).isSameAs(HealthCheck.liveness());
        assertThat(c.evictInterval()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.acquireTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.maxWaiters()).isEqualTo(ConnPoolConfig.UNBOUNDED_WAITERS);
        assertThat(c.failFast()).isTrue();
        assertThat(c.leakDetectionThreshold()).isZero();
        assertThat(c.maxConnectBackoff()).isEqualTo(Duration.ofSeconds(10));
        assertThat(c.toBuilder().build()).isEqualTo(c).hasSameHashCodeAs(c);
        assertThat(c.toString()).contains("maxSize=5", "healthCheck=liveness", "maxWaiters=unbounded");
    }

    static java.util.stream.Stream<Arguments> brokenRules() {
        return java.util.stream.Stream.of(
                rule(b -> ConnPoolConfig.builder(), "maxSize must be greater than 0 (was 0)"), // never set
                rule(b -> b.maxSize(0), "maxSize must be greater than 0 (was 0)"),
                rule(b -> b.maxSize(-3), "maxSize must be greater than 0 (was -3)"),
                rule(b -> b.minSize(-1), "minSize must be 0 or more (was -1)"),
                rule(b -> b.minSize(11), "minSize must not exceed maxSize (10) (was 11)"),
                rule(b -> b.increment(0), "increment must be between 1 and maxSize (10) (was 0)"),
                rule(b -> b.increment(11), "increment must be between 1 and maxSize (10) (was 11)"),
                rule(b -> b.idleTimeout(Duration.ofSeconds(-1)), "idleTimeout must not be negative (was PT-1S)"),
                rule(b -> b.idleTimeout(null), "idleTimeout must not be null"),
                rule(b -> b.maxLifetime(Duration.ofMillis(-5)), "maxLifetime must not be negative (was PT-0.005S)"),
                rule(b -> b.maxLifetime(null), "maxLifetime must not be null"),
                rule(b -> b.acquireTimeout(Duration.ofSeconds(-2)), "acquireTimeout must not be negative (was PT-2S)"),
                rule(b -> b.acquireTimeout(Duration.ofNanos(-1)), "acquireTimeout must not be negative (was PT-0.000000001S)"),
                rule(b -> b.acquireTimeout(null), "acquireTimeout must not be null"),
                rule(b -> b.healthCheck(null), "healthCheck must not be null (use HealthCheck.none())"),
                rule(b -> b.healthCheckAfterIdle(Duration.ofMillis(-1)),
                        "healthCheckAfterIdle must not be negative (was PT-0.001S)"),
                rule(b -> b.healthCheckAfterIdle(null), "healthCheckAfterIdle must not be null"),
                rule(b -> b.evictInterval(null), "evictInterval must not be null (use Duration.ZERO to disable)"),
                rule(b -> b.maxWaiters(-1), "maxWaiters must be 0 or more (was -1)"),
                rule(b -> b.leakDetectionThreshold(Duration.ofSeconds(-1)),
                        "leakDetectionThreshold must not be negative (was PT-1S)"),
                rule(b -> b.leakDetectionThreshold(null), "leakDetectionThreshold must not be null"),
                rule(b -> b.maxConnectBackoff(Duration.ofMillis(-1)),
                        "maxConnectBackoff must not be negative (was PT-0.001S)"),
                rule(b -> b.maxConnectBackoff(null), "maxConnectBackoff must not be null"));
    }

    private static Arguments rule(UnaryOperator<ConnPoolConfig.Builder> breakIt, String message) {
        return Arguments.of(breakIt, message);
    }

    @ParameterizedTest
    @MethodSource("brokenRules")
    void everyBrokenRuleIsNamed(UnaryOperator<ConnPoolConfig.Builder> breakIt, String message) {
        ConnPoolConfig.Builder b = ConnPoolConfig.builder().maxSize(10);
        assertThatThrownBy(() -> breakIt.apply(b).build()).isExactlyInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(message)
                .hasMessageContaining("(was ");
    }

    @Test
    void theDescriptionNeverShowsARequestThatMayCarryASecret() {
        ConnPoolConfig c = ConnPoolConfig.builder().maxSize(1)
                .healthCheck(HealthCheck.requestResponse("AUTH s3cret\r\n".getBytes(), "+OK".getBytes(),
                        Duration.ofSeconds(1)))
                .build();
        assertThat(c.toString()).doesNotContain("s3cret").contains("requestResponse(13 bytes -> \"+OK\", 1000ms)");
    }

    @Test
    void theOperationsSettingsTakePartInEqualityAndTheDescription() {
        ConnPoolConfig c = ConnPoolConfig.builder().maxSize(2).leakDetectionThreshold(Duration.ofSeconds(3))
                .maxConnectBackoff(Duration.ZERO).build();
        assertThat(c.toBuilder().build()).isEqualTo(c).hasSameHashCodeAs(c);
        assertThat(c).isNotEqualTo(c.toBuilder().leakDetectionThreshold(Duration.ZERO).build())
                .isNotEqualTo(c.toBuilder().maxConnectBackoff(Duration.ofSeconds(1)).build());
        assertThat(c.toString()).contains("leakDetectionThreshold=PT3S", "maxConnectBackoff=PT0S");
    }

    @Test
    void equalityIsByValueAndTheHashFollowsIt() {
        ConnPoolConfig c = ConnPoolConfig.builder().maxSize(2).build();
        assertThat(c.equals(c)).isTrue();
        assertThat(c.equals(null)).isFalse();
        assertThat(c.equals("maxSize=2")).isFalse();
        ConnPoolConfig other = c.toBuilder().maxSize(3).build();
        assertThat(c).isNotEqualTo(other);
        // Objects.hash over the fields: configs that differ in maxSize alone hash apart
        assertThat(c.hashCode()).isNotEqualTo(other.hashCode());
    }

    @Test
    void aNegativeOrZeroEvictIntervalDisablesTheEvictor() {
        assertThat(ConnPoolConfig.builder().maxSize(1).evictInterval(Duration.ofSeconds(-1)).build().evictInterval())
                .isNegative();
    }
}
