package dev.connpool.autoconfigure.health;

import dev.connpool.ConnPool;
import dev.connpool.autoconfigure.ConnPoolAutoConfiguration;
import dev.connpool.autoconfigure.ConnPools;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.CompositeHealthContributor;
import org.springframework.boot.health.contributor.HealthContributor;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;

/**
 * Auto-configuration of the {@code connpool} health contributor: one {@link ConnPoolHealthIndicator}
 * per pool, at {@code /actuator/health/connpool/<name>}, with the settings of {@code connpool.health}.
 * Off with {@code management.health.connpool.enabled=false}.
 */
@AutoConfiguration(after = ConnPoolAutoConfiguration.class)
@ConditionalOnClass({ ConnPool.class, HealthContributor.class, ConditionalOnEnabledHealthIndicator.class })
@ConditionalOnBooleanProperty(name = "connpool.enabled", matchIfMissing = true)
// not on ConnPool beans: the pools are known only when the context refreshes (AOT freezes conditions)
@ConditionalOnBean(ConnPools.class)
@EnableConfigurationProperties(ConnPoolHealthIndicatorProperties.class)
public final class ConnPoolHealthContributorAutoConfiguration {

    // a method condition: read only once the class conditions found spring-boot-health there
    @Bean
    @ConditionalOnEnabledHealthIndicator("connpool")
    @ConditionalOnMissingBean(name = { "connpoolHealthIndicator", "connpoolHealthContributor" })
    HealthContributor connpoolHealthContributor(ConnPools pools, ConnPoolHealthIndicatorProperties properties,
            Environment environment) {
        Binder binder = Binder.get(environment);
        Duration probeTimeout = setting(binder, "probe-timeout", properties.getProbeTimeout());
        Duration probeInterval = setting(binder, "probe-interval", properties.getProbeInterval());
        Map<String, ConnPoolHealthIndicator> indicators = new LinkedHashMap<>();
        pools.asMap().forEach((name, pool) -> indicators.put(name, new ConnPoolHealthIndicator(pool,
                pools.target(name).orElse(null), probeTimeout, probeInterval)));
        return CompositeHealthContributor.fromMap(indicators);
    }

    /**
     * A setting of {@code connpool.health}; if it is not set, the deprecated key of the same name under
     * {@code management.health.connpool}, if that is.
     */
    private static Duration setting(Binder binder, String key, Duration value) {
        if (binder.bind("connpool.health." + key, Duration.class).isBound()) {
            return value;
        }
        return binder.bind("management.health.connpool." + key, Duration.class).orElse(value);
    }
}
