package dev.connpool;

import static org.assertj.core.api.Assertions.assertThat;

import dev.connpool.ConnPool;
import dev.connpool.ConnPoolConfig;
import dev.connpool.ConnectionFactory;
import dev.connpool.testkit.Gc;
import dev.connpool.testkit.NoPoolThreads;
import dev.connpool.testkit.TestServer;
import dev.connpool.testkit.Threads;
import java.lang.ref.WeakReference;
import java.net.URL;
import java.net.URLClassLoader;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The clock thread shared by every pool in the JVM does not keep the application that happened to
 * start it reachable: it inherits neither its context class loader nor its thread-locals. Found by
 * the engine v2 review: a web app that made the first timed pool, closed it and was undeployed stayed
 * reachable as long as another application's pool kept the clock running.
 */
@Timeout(60)
@ExtendWith(NoPoolThreads.class)
class ClockClassLoaderTest {

    @Test
    void theSharedClockThreadDoesNotPinTheLoaderOfTheApplicationThatStartedIt() throws Exception {
        try (TestServer server = TestServer.echo()) {
            ConnectionFactory factory = ConnectionFactory.tcp(server.host(), server.port(), Duration.ofSeconds(5));
            ConnPoolConfig timed = ConnPoolConfig.builder().maxSize(2).idleTimeout(Duration.ofMinutes(1)).build();
            URLClassLoader appLoader = new URLClassLoader(new URL[0], null);
            WeakReference<ClassLoader> loaderRef = new WeakReference<>(appLoader);
            ConnPool[] appPool = new ConnPool[1];
            Thread app = new Thread(() -> {
                try {
                    appPool[0] = ConnPool.create("edge-app-a", timed, factory);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, "edge-app-a-startup");
            app.setContextClassLoader(appLoader);
            app.start();
            Threads.join(app, Duration.ofSeconds(10));
            assertThat(appPool[0]).as("application A's pool was created").isNotNull();
            try (ConnPool other = ConnPool.create("edge-app-b", timed, factory)) {
                appPool[0].close();
                appPool[0] = null;
                app = null;
                appLoader = null;
                Gc.awaitCollected(List.of(loaderRef), Duration.ofSeconds(5),
                        () -> "application A closed its pool, yet its class loader is still reachable");
            }
        }
    }
}
