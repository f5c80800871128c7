package dev.connpool.autoconfigure.observation;

import dev.connpool.ConnPool;
import dev.connpool.autoconfigure.ConnPoolAutoConfiguration;
import dev.connpool.autoconfigure.ConnPools;
import io.micrometer.observation.ObservationRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * Auto-configuration of {@link ObservedConnPools}, when Micrometer Observation is on the class path:
 * every pool's gets observed in the context's {@link ObservationRegistry}, or not observed at all
 * without one. The {@link ConnPool} beans are not changed.
 */
@AutoConfiguration(after = ConnPoolAutoConfiguration.class,
        afterName = "org.springframework.boot.micrometer.observation.autoconfigure.ObservationAutoConfiguration")
@ConditionalOnClass({ ConnPool.class, ObservationRegistry.class })
@ConditionalOnBooleanProperty(name = "connpool.enabled", matchIfMissing = true)
@ConditionalOnBean(ConnPools.class)
public final class ConnPoolObservationAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    ObservedConnPools observedConnPools(ConnPools pools, ObjectProvider<ObservationRegistry> registry) {
        return new ObservedConnPools(pools, registry.getIfUnique(() -> ObservationRegistry.NOOP));
    }
}
