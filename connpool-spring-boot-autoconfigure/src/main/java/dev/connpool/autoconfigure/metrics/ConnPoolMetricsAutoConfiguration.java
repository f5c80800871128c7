package dev.connpool.autoconfigure.metrics;

import dev.connpool.ConnPool;
import dev.connpool.autoconfigure.ConnPoolAutoConfiguration;
import dev.connpool.autoconfigure.ConnPools;
import dev.connpool.micrometer.ConnPoolMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.ArrayList;
import java.util.List;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * Auto-configuration of the meters of every pool ({@link ConnPoolMetrics}: {@code connpool.connections*},
 * tagged {@code pool=<name>}) in every {@link MeterRegistry} of the context.
 */
@AutoConfiguration(after = ConnPoolAutoConfiguration.class,
        afterName = "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration")
@ConditionalOnClass({ ConnPool.class, MeterRegistry.class })
@ConditionalOnBooleanProperty(name = "connpool.enabled", matchIfMissing = true)
// not on ConnPool beans: the pools are known only when the context refreshes (AOT freezes conditions)
@ConditionalOnBean({ ConnPools.class, MeterRegistry.class })
public final class ConnPoolMetricsAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    ConnPoolMeterBinder connPoolMeterBinder(ConnPools pools) {
        return new ConnPoolMeterBinder(pools);
    }

    /**
     * Binds one {@link ConnPoolMetrics} per pool to each registry it is given (a {@code ConnPoolMetrics}
     * can be bound to several); unregisters their timers from the pools when the context closes.
     */
    public static final class ConnPoolMeterBinder implements MeterBinder, DisposableBean {

        private final List<ConnPoolMetrics> metrics = new ArrayList<>();

        /**
         * Creates the binder.
         *
         * @param pools the pools to measure
         */
        public ConnPoolMeterBinder(ConnPools pools) {
            for (ConnPool pool : pools) {
                metrics.add(new ConnPoolMetrics(pool));
            }
        }

        @Override
        public void bindTo(MeterRegistry registry) {
            metrics.forEach(m -> m.bindTo(registry));
        }

        @Override
        public void destroy() {
            metrics.forEach(ConnPoolMetrics::close);
        }
    }
}
