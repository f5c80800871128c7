package dev.connpool.sample;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.SimpleCommandLinePropertySource;

/**
 * The three examples of the library connpool descends from, on the Spring Boot starter:
 * <ul>
 *   <li>{@code tcp-echo} ({@link dev.connpool.sample.echo}): pool {@code echo}, {@code GET /echo?msg=};</li>
 *   <li>{@code redis-proxy} ({@link dev.connpool.sample.redis}): pool {@code redis} with a PING health
 *       check, {@code GET /redis/ping}, {@code POST /redis};</li>
 *   <li>{@code load-balancer} ({@link dev.connpool.sample.lb}): pools {@code backend-1} and
 *       {@code backend-2}, {@code GET /lb?msg=}.</li>
 * </ul>
 * Run as is, it serves them over HTTP next to the actuator. With {@code --demo=<example>} it runs that
 * example once on the command line, as the original did, prints what happened and exits.
 * Unless {@code sample.backends.embedded=false}, it starts its own loopback backends first
 * ({@link dev.connpool.sample.backends.EmbeddedBackends}). Unless {@code sample.admin.enabled=false}, it
 * serves Spring Boot Admin under {@code /admin}, registered in it ({@link dev.connpool.sample.admin}).
 */
@SpringBootApplication(proxyBeanMethods = false)
public class SampleApplication {

    /** The command-line demos, by the value of {@code --demo}. */
    public static final List<String> DEMOS = List.of("tcp-echo", "redis-proxy", "load-balancer");

    public static void main(String[] args) {
        SpringApplication application;
        try {
            application = application(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        ConfigurableApplicationContext context = application.run(args);
        if (demo(args) != null) {
            // the demo ran while the application started; its exit code is the demo's
            System.exit(SpringApplication.exit(context));
        }
    }

    /**
     * The application as {@link #main} runs it, for the given arguments. A demo runs without a web
     * server, with its embedded backends on free ports (so that it can run next to a sample app that
     * serves HTTP, unless ports are set explicitly) and with only warnings logged, so that its own
     * output reads well.
     *
     * @param args the command line
     * @return the application, not yet run
     * @throws IllegalArgumentException if {@code --demo} names no demo
     */
    public static SpringApplication application(String... args) {
        SpringApplication application = new SpringApplication(SampleApplication.class);
        String demo = demo(args);
        if (demo != null) {
            if (!DEMOS.contains(demo)) {
                throw new IllegalArgumentException("Unknown demo '" + demo + "': use --demo= one of " + DEMOS);
            }
            application.setWebApplicationType(WebApplicationType.NONE);
            Map<String, Object> defaults = new LinkedHashMap<>();
            defaults.put("sample.backends.echo.port", 0);
            defaults.put("sample.backends.backend-1.port", 0);
            defaults.put("sample.backends.backend-2.port", 0);
            defaults.put("spring.main.banner-mode", "off");
            defaults.put("logging.level.root", "warn");
            application.setDefaultProperties(defaults);
        }
        return application;
    }

    /** The value of {@code --demo}, or null. */
    static @Nullable String demo(String... args) {
        SimpleCommandLinePropertySource commandLine = new SimpleCommandLinePropertySource(args);
        return commandLine.containsProperty("demo") ? String.valueOf(commandLine.getProperty("demo")) : null;
    }
}
