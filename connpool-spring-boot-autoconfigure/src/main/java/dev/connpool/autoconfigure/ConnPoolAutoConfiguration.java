package dev.connpool.autoconfigure;

import dev.connpool.ConnPool;
import java.util.Map;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.beans.factory.support.SimpleAutowireCandidateResolver;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnCheckpointRestore;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.ssl.SslAutoConfiguration;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;

/**
 * Auto-configuration of the pools of {@code connpool.pools.*}: a {@link ConnPool} bean for each, named
 * after it, unless the application has a {@code ConnPool} bean of that name already (any other bean of
 * that name stops startup); and a {@link ConnPools} bean listing every pool of the context. The set of
 * pools is read from the environment when the context refreshes, in an AOT-processed application
 * too. Pools open their {@code min-size} connections as their beans are created and close when the
 * context closes, each allowed its {@code shutdown-grace} for connections in use. With CRaC
 * ({@code org.crac}) on the class path, stopping the context suspends and empties them, and starting
 * it resumes them ({@link ConnPoolCheckpointRestoreLifecycle}).
 */
@AutoConfiguration(after = SslAutoConfiguration.class)
@ConditionalOnClass(ConnPool.class)
@ConditionalOnBooleanProperty(name = "connpool.enabled", matchIfMissing = true)
@EnableConfigurationProperties(ConnPoolProperties.class)
public final class ConnPoolAutoConfiguration {

    // static: a registry post-processor is made before any other bean, this configuration included
    @Bean(PoolBeansRegistrar.BEAN_NAME)
    static PoolBeansRegistrar connPoolBeansRegistrar() {
        return new PoolBeansRegistrar();
    }

    @Bean(ConfiguredConnPools.BEAN_NAME)
    ConfiguredConnPools configuredConnPools(ConnPoolProperties properties, Environment environment,
            ObjectProvider<SslBundles> sslBundles, ObjectProvider<ConnPoolCustomizer> customizers,
            ObjectProvider<ConnPoolConnectionDetails> connectionDetails) {
        return new ConfiguredConnPools(properties, environment, sslBundles, customizers, connectionDetails);
    }

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnCheckpointRestore
    ConnPoolCheckpointRestoreLifecycle connPoolCheckpointRestoreLifecycle(ConnPools pools,
            ConfiguredConnPools configured) {
        return new ConnPoolCheckpointRestoreLifecycle(pools, configured::grace);
    }

    @Bean
    @ConditionalOnMissingBean
    ConnPools connPools(ConfigurableListableBeanFactory beanFactory, ConfiguredConnPools configured) {
        Map<String, ConnPool> pools = SimpleAutowireCandidateResolver.resolveAutowireCandidates(beanFactory,
                ConnPool.class, false, true);
        return new ConnPools(pools, configured.targets());
    }
}
