package dev.connpool.autoconfigure;

import dev.connpool.ConnPool;
import java.util.Map;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.beans.factory.support.BeanDefinitionRegistry;
import org.springframework.beans.factory.support.BeanDefinitionRegistryPostProcessor;
import org.springframework.beans.factory.support.RootBeanDefinition;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.EnvironmentAware;
import org.springframework.context.LifecycleProcessor;
import org.springframework.context.MessageSource;
import org.springframework.context.event.ApplicationEventMulticaster;
import org.springframework.context.support.AbstractApplicationContext;
import org.springframework.core.env.Environment;

/**
 * Registers a {@link ConnPool} bean for each {@code connpool.pools.<name>}, made by
 * {@link ConfiguredConnPools}.
 *
 * <p>It runs when the context refreshes, after every other bean definition is in (the application's,
 * and those of every auto-configuration), and it runs again in an AOT-processed application: the
 * set of pools is the environment's when the application starts, never the one it had when it was
 * processed. The pool beans are left out of AOT processing ({@link PoolBeansAotExclusion}) for that
 * reason.
 *
 * <p>A pool's name is its bean name. An application bean of that name that is a {@code ConnPool}
 * replaces the configured pool; any other bean of that name is a mistake that would hide the pool
 * (or be overridden by it), so startup stops with a {@link ConnPoolNameClashException}. So do the
 * names of the beans the context makes itself after the post-processors ran, when the application
 * defines none ({@code messageSource}, {@code applicationEventMulticaster}, {@code lifecycleProcessor}):
 * they are not in use yet when pools are registered, but a pool of that name would fail the refresh.
 */
final class PoolBeansRegistrar implements BeanDefinitionRegistryPostProcessor, EnvironmentAware {

    /** Its bean name, out of the way of application beans. */
    static final String BEAN_NAME = "dev.connpool.autoconfigure.PoolBeansRegistrar";

    /** The attribute that marks a pool's bean definition; its value is the pool's name. */
    static final String POOL_ATTRIBUTE = "dev.connpool.autoconfigure.pool";

    private static final Log logger = LogFactory.getLog(PoolBeansRegistrar.class);

    /**
     * The beans {@link AbstractApplicationContext} registers during refresh, after the bean factory
     * post-processors, unless the application has one of that name: taken, though not in use yet.
     */
    private static final Map<String, Class<?>> CONTEXT_BEANS = Map.of(
            AbstractApplicationContext.MESSAGE_SOURCE_BEAN_NAME, MessageSource.class,
            AbstractApplicationContext.APPLICATION_EVENT_MULTICASTER_BEAN_NAME, ApplicationEventMulticaster.class,
            AbstractApplicationContext.LIFECYCLE_PROCESSOR_BEAN_NAME, LifecycleProcessor.class);

    private @Nullable Environment environment;

    @Override
    public void setEnvironment(Environment environment) {
        this.environment = environment;
    }

    @Override
    public void postProcessBeanDefinitionRegistry(BeanDefinitionRegistry registry) {
        if (environment == null) {
            throw new IllegalStateException("no Environment");
        }
        ConfigurableListableBeanFactory beanFactory = (ConfigurableListableBeanFactory) registry;
        // values bound as nested maps: only the names matter here; ConnPoolProperties binds the rest
        Map<String, Object> pools = Binder.get(environment)
                .bind("connpool.pools", Bindable.mapOf(String.class, Object.class))
                .orElse(Map.of());
        for (String name : pools.keySet()) {
            if (registry.isBeanNameInUse(name) || beanFactory.containsSingleton(name)) {
                Class<?> type = beanFactory.getType(name, false);
                if (type != null && ConnPool.class.isAssignableFrom(type)) {
                    logger.info("connpool.pools." + name + " not created: the application's ConnPool bean '" + name
                            + "' replaces it");
                    continue;
                }
                throw new ConnPoolNameClashException(name, type, definedIn(registry, name));
            }
            Class<?> contextBean = CONTEXT_BEANS.get(name);
            if (contextBean != null) {
                throw ConnPoolNameClashException.reservedByContext(name, contextBean);
            }
            RootBeanDefinition pool = new RootBeanDefinition(ConnPool.class,
                    () -> beanFactory.getBean(ConfiguredConnPools.BEAN_NAME, ConfiguredConnPools.class).create(name));
            pool.setAttribute(POOL_ATTRIBUTE, name);
            // destroyed before ConfiguredConnPools, which closes it, with a grace period
            pool.setDependsOn(ConfiguredConnPools.BEAN_NAME);
            pool.setDestroyMethodName("");
            registry.registerBeanDefinition(name, pool);
        }
    }

    @Override
    public void postProcessBeanFactory(ConfigurableListableBeanFactory beanFactory) {
    }

    private static @Nullable String definedIn(BeanDefinitionRegistry registry, String name) {
        if (!registry.containsBeanDefinition(name)) {
            return registry.isAlias(name) ? "an alias" : "a singleton registered by hand";
        }
        BeanDefinition definition = registry.getBeanDefinition(name);
        if (definition.getResourceDescription() != null) {
            return definition.getResourceDescription();
        }
        if (definition.getFactoryBeanName() != null && definition.getFactoryMethodName() != null) {
            return "method " + definition.getFactoryMethodName() + " of bean '" + definition.getFactoryBeanName() + "'";
        }
        return null;
    }
}
