package dev.connpool.autoconfigure.health;

import dev.connpool.ConnPool;
import dev.connpool.autoconfigure.ConnPoolAutoConfiguration;
import dev.connpool.autoconfigure.ConnPools;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.CompositeHealthContributor;
import org.springframework.boot.health.contributor.HealthContributor;
import org.springframework.context.annotation.Bean;

/**
 * Auto-configuration of the {@code connpool} health contributor: one {@link ConnPoolHealthIndicator}
 * per pool, at {@code /actuator/health/connpool/<name>}. Off with
 * {@code management.health.connpool.enabled=false}.
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
    HealthContributor connpoolHealthContributor(ConnPools pools, ConnPoolHealthIndicatorProperties properties) {
        Map<String, ConnPoolHealthIndicator> indicators = new LinkedHashMap<>();
        pools.asMap().forEach((name, pool) -> indicators.put(name, new ConnPoolHealthIndicator(pool,
                pools.target(name).orElse(null), properties.getProbeTimeout(), properties.getProbeInterval())));
        return CompositeHealthContributor.fromMap(indicators);
    }
}
