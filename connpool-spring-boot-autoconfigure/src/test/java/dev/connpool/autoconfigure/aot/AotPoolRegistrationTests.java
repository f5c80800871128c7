package dev.connpool.autoconfigure.aot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.connpool.ConnPool;
import dev.connpool.autoconfigure.ConnPoolAutoConfiguration;
import dev.connpool.autoconfigure.ConnPoolCheckpointRestoreLifecycle;
import dev.connpool.autoconfigure.ConnPoolConnectionDetails;
import dev.connpool.autoconfigure.ConnPools;
import dev.connpool.autoconfigure.health.ConnPoolHealthContributorAutoConfiguration;
import dev.connpool.autoconfigure.metrics.ConnPoolMetricsAutoConfiguration;
import dev.connpool.autoconfigure.metrics.ConnPoolMetricsAutoConfiguration.ConnPoolMeterBinder;
import dev.connpool.autoconfigure.observation.ConnPoolObservationAutoConfiguration;
import dev.connpool.autoconfigure.observation.ObservedConnPools;
import dev.connpool.testkit.EchoServer;
import dev.connpool.testkit.NoPoolThreads;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.aot.test.generate.TestGenerationContext;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.health.contributor.CompositeHealthContributor;
import org.springframework.boot.health.contributor.HealthContributor;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.annotation.AnnotationConfigUtils;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.aot.ApplicationContextAotGenerator;
import org.springframework.context.support.GenericApplicationContext;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.test.tools.CompileWithForkedClassLoader;
import org.springframework.core.test.tools.TestCompiler;
import org.springframework.javapoet.ClassName;

/**
 * The pools of an AOT-processed application are those of its environment when it runs, not those
 * it had when it was processed: a test application is AOT-processed with one set of pools, the
 * generated sources are compiled, and the application is started from them with another set. The
 * health contributor and the meters follow the pools of the run too.
 */
@CompileWithForkedClassLoader
@ExtendWith(NoPoolThreads.AfterProbes.class)
class AotPoolRegistrationTests {

    private static final String DETAILED = "detailed";

    @RegisterExtension
    static final EchoServer server = new EchoServer();

    @Test
    void poolsAddedOrRemovedAfterTheBuildAreThoseOfTheRun() {
        runAot(pools("kept", "removed"), pools("kept", "added"), context -> {
            assertThat(context.getBeansOfType(ConnPool.class)).containsOnlyKeys("kept", "added");
            assertThat(context.getBean(ConnPools.class).names()).containsExactlyInAnyOrder("kept", "added");
            assertThat(context.getBean("added", ConnPool.class).stats().size()).isEqualTo(1);
            assertThat(components(context)).containsOnlyKeys("kept", "added");
            assertThat(context.getBean(ObservedConnPools.class).names()).containsExactlyInAnyOrder("kept", "added");
            // checkpoint/restore (org.crac is on the test class path) stops and starts the pools of the run
            assertThat(context.getBean(ConnPoolCheckpointRestoreLifecycle.class)).isNotNull();
            context.stop();
            assertThat(context.getBean("added", ConnPool.class).isSuspended()).isTrue();
            context.start();
            assertThat(context.getBean("added", ConnPool.class).isSuspended()).isFalse();
        });
    }

    @Test
    void connectionDetailsOfTheApplicationApplyToAPoolAddedAfterTheBuild() {
        Map<String, Object> run = pools("kept");
        // no host or port: the application's ConnPoolConnectionDetails give them
        run.put("connpool.pools." + DETAILED + ".min-size", 1);
        runAot(pools("kept"), run, context -> {
            assertThat(context.getBeansOfType(ConnPool.class)).containsOnlyKeys("kept", DETAILED);
            assertThat(context.getBean(ConnPools.class).target(DETAILED))
                    .contains("tcp://127.0.0.1:" + server.port());
            assertThat(context.getBean(DETAILED, ConnPool.class).stats().size()).isEqualTo(1);
        });
    }

    @Test
    void aBuildWithoutPoolsRunsWithPoolsAndTheirHealthAndMeters() {
        runAot(Map.of(), pools("added"), context -> {
            assertThat(context.getBeansOfType(ConnPool.class)).containsOnlyKeys("added");
            Map<String, HealthIndicator> components = components(context);
            assertThat(components).containsOnlyKeys("added");
            assertThat(components.get("added").health().getStatus()).isEqualTo(Status.UP);
            // bound by hand: Boot's MetricsAutoConfiguration, which binds every MeterBinder, is not here
            MeterRegistry registry = new SimpleMeterRegistry();
            context.getBean(ConnPoolMeterBinder.class).bindTo(registry);
            assertThat(registry.find("connpool.connections").tag("pool", "added").gauge()).isNotNull();
        });
    }

    @Test
    void aBuildWithPoolsRunsWithoutAny() {
        runAot(pools("removed"), Map.of(), context -> {
            assertThat(context.getBeansOfType(ConnPool.class)).isEmpty();
            assertThat(context.getBean(ConnPools.class).names()).isEmpty();
        });
    }

    private static Map<String, Object> pools(String... names) {
        Map<String, Object> props = new LinkedHashMap<>();
        for (String name : names) {
            props.put("connpool.pools." + name + ".host", server.host());
            props.put("connpool.pools." + name + ".port", server.port());
            props.put("connpool.pools." + name + ".min-size", 1);
        }
        return props;
    }

    private static GenericApplicationContext context(Map<String, Object> properties) {
        GenericApplicationContext context = new GenericApplicationContext();
        context.getEnvironment().getPropertySources().addFirst(new MapPropertySource("test", properties));
        return context;
    }

    /**
     * AOT-processes {@link App} with the build properties, compiles what was generated, starts the
     * application from it with the run properties and hands it to the assertions.
     */
    @SuppressWarnings("unchecked")
    private static void runAot(Map<String, Object> build, Map<String, Object> run,
            Consumer<GenericApplicationContext> assertions) {
        TestGenerationContext generation = new TestGenerationContext(App.class);
        ClassName initializer;
        try (GenericApplicationContext processed = context(build)) {
            AnnotationConfigUtils.registerAnnotationConfigProcessors(processed);
            processed.registerBean(App.class);
            initializer = new ApplicationContextAotGenerator().processAheadOfTime(processed, generation);
        }
        generation.writeGeneratedContent();
        TestCompiler.forSystem().with(generation).compile(compiled -> {
            try (GenericApplicationContext context = context(run)) {
                compiled.getInstance(ApplicationContextInitializer.class, initializer.reflectionName())
                        .initialize(context);
                context.refresh();
                assertions.accept(context);
            }
        });
    }

    private static Map<String, HealthIndicator> components(GenericApplicationContext context) {
        HealthContributor contributor = context.getBean("connpoolHealthContributor", HealthContributor.class);
        Map<String, HealthIndicator> components = new LinkedHashMap<>();
        ((CompositeHealthContributor) contributor).stream()
                .forEach(c -> components.put(c.name(), (HealthIndicator) c.contributor()));
        return components;
    }

    @Configuration(proxyBeanMethods = false)
    @ImportAutoConfiguration({ ConnPoolAutoConfiguration.class, ConnPoolHealthContributorAutoConfiguration.class,
            ConnPoolMetricsAutoConfiguration.class, ConnPoolObservationAutoConfiguration.class })
    static class App {

        @Bean
        ConnPoolConnectionDetails detailedPoolDetails() {
            return name -> name.equals(DETAILED) ? new ConnPoolConnectionDetails.Pool("127.0.0.1", server.port()) : null;
        }

        @Bean
        MeterRegistry meterRegistry() {
            return new SimpleMeterRegistry();
        }
    }
}
