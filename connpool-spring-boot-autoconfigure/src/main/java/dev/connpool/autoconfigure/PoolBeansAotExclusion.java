package dev.connpool.autoconfigure;

import org.springframework.beans.factory.aot.BeanRegistrationExcludeFilter;
import org.springframework.beans.factory.support.RegisteredBean;

/**
 * Leaves the pool beans out of AOT processing, where their definitions would be generated for the
 * pools the application had at build time: {@link PoolBeansRegistrar} registers them again when the
 * AOT-processed application starts, from its environment then.
 */
final class PoolBeansAotExclusion implements BeanRegistrationExcludeFilter {

    @Override
    public boolean isExcludedFromAotProcessing(RegisteredBean registeredBean) {
        return registeredBean.getMergedBeanDefinition().hasAttribute(PoolBeansRegistrar.POOL_ATTRIBUTE);
    }
}
