package dev.connpool.autoconfigure;

import dev.connpool.ConnPool;
import java.util.Map;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.beans.factory.support.BeanDefinitionRegistry;
import org.springframework.beans.factory.support.RootBeanDefinition;
import org.springframework.beans.factory.support.SimpleAutowireCandidateResolver;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.ssl.SslAutoConfiguration;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.context.EnvironmentAware;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.ImportBeanDefinitionRegistrar;
import org.springframework.core.env.Environment;
import org.springframework.core.type.AnnotationMetadata;

/**
 * Auto-configuration of the pools of {@code connpool.pools.*}: a {@link ConnPool} bean for each, named
 * after it, unless the application has a bean of that name already; and a {@link ConnPools} bean
 * listing every pool of the context. Pools open their {@code min-size} connections as their beans
 * are created and close when the context closes, each allowed its {@code shutdown-grace} for
 * connections in use.
 */
@AutoConfiguration(after = SslAutoConfiguration.class)
@ConditionalOnClass(ConnPool.class)
@ConditionalOnBooleanProperty(name = "connpool.enabled", matchIfMissing = true)
@EnableConfigurationProperties(ConnPoolProperties.class)
@Import(ConnPoolAutoConfiguration.PoolBeansRegistrar.class)
public final class ConnPoolAutoConfiguration {

    @Bean(ConfiguredConnPools.BEAN_NAME)
    ConfiguredConnPools configuredConnPools(ConnPoolProperties properties, Environment environment,
            ObjectProvider<SslBundles> sslBundles, ObjectProvider<ConnPoolCustomizer> customizers) {
        return new ConfiguredConnPools(properties, environment, sslBundles, customizers);
    }

    @Bean
    @ConditionalOnMissingBean
    ConnPools connPools(ConfigurableListableBeanFactory beanFactory, ConfiguredConnPools configured) {
        Map<String, ConnPool> pools = SimpleAutowireCandidateResolver.resolveAutowireCandidates(beanFactory,
                ConnPool.class, false, true);
        return new ConnPools(pools, configured.targets());
    }

    /**
     * Registers a bean for each {@code connpool.pools.<name>}, made by {@link ConfiguredConnPools}.
     * Runs after the application's own bean definitions are in, so a bean of the same name there
     * wins.
     */
    static final class PoolBeansRegistrar implements ImportBeanDefinitionRegistrar, EnvironmentAware {

        private static final Log logger = LogFactory.getLog(PoolBeansRegistrar.class);

        private Environment environment;

        @Override
        public void setEnvironment(Environment environment) {
            this.environment = environment;
        }

        @Override
        public void registerBeanDefinitions(AnnotationMetadata metadata, BeanDefinitionRegistry registry) {
            // values bound as nested maps: only the names matter here; ConnPoolProperties binds the rest
            Map<String, Object> pools = Binder.get(environment)
                    .bind("connpool.pools", Bindable.mapOf(String.class, Object.class))
                    .orElse(Map.of());
            for (String name : pools.keySet()) {
                if (registry.isBeanNameInUse(name)) {
                    logger.info("connpool.pools." + name + " not created: the application defines a bean named '"
                            + name + "' already");
                    continue;
                }
                RootBeanDefinition pool = new RootBeanDefinition();
                pool.setTargetType(ConnPool.class);
                pool.setFactoryBeanName(ConfiguredConnPools.BEAN_NAME);
                pool.setFactoryMethodName("create");
                pool.getConstructorArgumentValues().addIndexedArgumentValue(0, name);
                // closed by ConfiguredConnPools, with a grace period, not by an inferred close()
                pool.setDestroyMethodName("");
                registry.registerBeanDefinition(name, pool);
            }
        }
    }
}
