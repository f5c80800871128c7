package dev.connpool.sample;

import static org.assertj.core.api.Assertions.assertThat;

import com.jayway.jsonpath.JsonPath;
import dev.connpool.sample.support.Http;
import dev.connpool.testkit.Await;
import dev.connpool.testkit.Ports;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The executable jar itself, as the README runs it: {@code java -jar target/sample-app.jar}, with the
 * JDK that runs the build. Run by Failsafe, after the jar was repackaged.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class SampleJarIT {

    private static final Duration STARTUP = Duration.ofSeconds(120);
    private static final Duration STOP_WITH_ADMIN_OPEN = Duration.ofSeconds(15);
    private static final Pattern TOMCAT_PORT = Pattern.compile("Tomcat started on port (\\d+)");

    /** A {@code java -jar} process whose output is collected by a thread of its own. */
    private static final class JarProcess implements AutoCloseable {

        final Process process;
        final ByteArrayOutputStream output = new ByteArrayOutputStream();
        final Thread drain;

        JarProcess(String... args) throws IOException {
            Path jar = Path.of(System.getProperty("sample.jar", "target/sample-app.jar"));
            assertThat(jar).as("the repackaged jar").isRegularFile();
            List<String> command = new ArrayList<>(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", jar.toString()));
            command.addAll(Arrays.asList(args));
            process = new ProcessBuilder(command).redirectErrorStream(true).start();
            drain = new Thread(() -> {
                byte[] buf = new byte[8192];
                try (InputStream in = process.getInputStream()) {
                    for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
                        synchronized (output) {
                            output.write(buf, 0, n);
                        }
                    }
                } catch (IOException e) {
                    // the process is gone
                }
            }, "sample-jar-output");
            drain.setDaemon(true);
            drain.start();
        }

        String output() {
            synchronized (output) {
                return output.toString(StandardCharsets.UTF_8);
            }
        }

        int awaitExit(Duration timeout) throws InterruptedException {
            assertThat(process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS))
                    .as("exited within %s; output:%n%s", timeout, output()).isTrue();
            drain.join(TimeUnit.SECONDS.toMillis(10));
            return process.exitValue();
        }

        /** SIGTERM (Spring closes the context, the pools and the backends), SIGKILL if it lingers. */
        @Override
        public void close() {
            try {
                if (process.isAlive()) {
                    process.destroy();
                    if (!process.waitFor(30, TimeUnit.SECONDS)) {
                        process.destroyForcibly();
                        process.waitFor(10, TimeUnit.SECONDS);
                    }
                }
                drain.join(TimeUnit.SECONDS.toMillis(10));
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
            assertThat(process.isAlive()).isFalse();
            assertThat(drain.isAlive()).isFalse();
        }
    }

    @Test
    void runsADemoAndExits() throws Exception {
        try (JarProcess jar = new JarProcess("--demo=tcp-echo", "--connpool.pools.redis.host=127.0.0.1",
                "--connpool.pools.redis.port=" + Ports.closed())) {
            assertThat(jar.awaitExit(STARTUP)).as(jar.output()).isZero();
            assertThat(jar.output()).contains("sent: hello 1  got: hello 1").contains("sent: hello 5  got: hello 5")
                    .contains("pool echo: size=");
        }
    }

    @Test
    void refusesAnUnknownDemo() throws Exception {
        try (JarProcess jar = new JarProcess("--demo=nope")) {
            assertThat(jar.awaitExit(STARTUP)).as(jar.output()).isEqualTo(2);
            assertThat(jar.output()).contains("Unknown demo 'nope'");
        }
    }

    @Test
    void servesTheExamplesAndTheActuatorOverHttp() throws Exception {
        try (JarProcess jar = new JarProcess("--server.port=0", "--sample.backends.echo.port=0",
                "--sample.backends.backend-1.port=0", "--sample.backends.backend-2.port=0",
                "--connpool.pools.redis.host=127.0.0.1", "--connpool.pools.redis.port=" + Ports.closed())) {
            Await.until(() -> TOMCAT_PORT.matcher(jar.output()).find() || !jar.process.isAlive(), STARTUP,
                    () -> "the web server started; output:\n" + jar.output());
            Matcher m = TOMCAT_PORT.matcher(jar.output());
            assertThat(m.find()).as(jar.output()).isTrue();
            Http http = new Http(Integer.parseInt(m.group(1)));

            Http.Response echo = http.get("/echo?msg=from-the-jar");
            assertThat(echo.status()).as("%s", echo).isEqualTo(200);
            assertThat((String) JsonPath.read(echo.body(), "$.got")).isEqualTo("from-the-jar");
            Http.Response lb = http.get("/lb?msg=hi");
            assertThat(lb.status()).as("%s", lb).isEqualTo(200);
            Http.Response health = http.get("/actuator/health/connpool/echo");
            assertThat((String) JsonPath.read(health.body(), "$.status")).isEqualTo("UP");
            assertThat(http.get("/redis/ping").status()).isEqualTo(503);

            // Spring Boot Admin, with the app registered in it on its random port, and the connpools
            // view's extension packed in the jar
            Await.until(() -> registered(http), Duration.ofSeconds(30), () -> "registered in /admin; output:\n"
                    + jar.output());
            Http.Response ui = http.get("/admin/applications");
            assertThat(ui.status()).isEqualTo(200);
            assertThat(ui.body()).contains("extensions/connpools/index.js");
            Http.Response extension = http.get("/admin/extensions/connpools/index.js");
            assertThat(extension.status()).isEqualTo(200);
            assertThat(extension.body()).contains("SBA.use(").contains("'instances/connpools'");
            assertThat(http.get("/admin/extensions/connpools/connpools.css").status()).isEqualTo(200);

            // an open admin UI holds event streams; stopping the app still takes seconds, not the 30 s of
            // an unbounded graceful shutdown
            HttpURLConnection events = (HttpURLConnection) URI.create(
                    "http://127.0.0.1:" + m.group(1) + "/admin/instances/events").toURL().openConnection();
            try {
                events.setRequestProperty("Accept", "text/event-stream");
                events.setConnectTimeout(10_000);
                events.setReadTimeout(10_000);
                assertThat(events.getResponseCode()).isEqualTo(200);
                assertThat(events.getContentType()).startsWith("text/event-stream");
                long stopping = System.nanoTime();
                jar.process.destroy();
                assertThat(jar.process.waitFor(STOP_WITH_ADMIN_OPEN.toSeconds() + 10, TimeUnit.SECONDS))
                        .as("stopped; output:%n%s", jar.output()).isTrue();
                assertThat(Duration.ofNanos(System.nanoTime() - stopping)).isLessThan(STOP_WITH_ADMIN_OPEN);
            } finally {
                events.disconnect();
            }
        }
    }

    private static boolean registered(Http http) {
        try {
            Http.Response instances = http.getJson("/admin/instances");
            return instances.status() == 200 && !JsonPath.<List<String>>read(instances.body(),
                    "$[?(@.registration.name == 'connpool-sample' && @.statusInfo.status != 'UNKNOWN')].id").isEmpty();
        } catch (UncheckedIOException e) {
            return false;
        }
    }
}
