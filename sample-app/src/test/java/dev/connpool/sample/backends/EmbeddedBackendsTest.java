package dev.connpool.sample.backends;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.connpool.ConnPool;
import dev.connpool.autoconfigure.ConnPools;
import dev.connpool.sample.LineProtocol;
import dev.connpool.sample.SampleApplication;
import dev.connpool.sample.support.NothingLeftBehind;
import dev.connpool.testkit.Ports;
import dev.connpool.testkit.TestServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The app's own backends: listening before the pools open, on the ports they publish; off, with the
 * pools pointed elsewhere; a port that is taken, explained; and a server that stops everything it
 * started and comes back on its port.
 */
@ExtendWith({ NothingLeftBehind.class, OutputCaptureExtension.class })
@NothingLeftBehind.PerTest
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EmbeddedBackendsTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private static SpringApplication app(String... args) {
        SpringApplication application = SampleApplication.application(args);
        application.setWebApplicationType(WebApplicationType.NONE);
        return application;
    }

    @Test
    void listenBeforeThePoolsOpenOnThePortsTheyPublish() {
        try (ConfigurableApplicationContext context = app().run("--sample.backends.echo.port=0",
                "--sample.backends.backend-1.port=0", "--sample.backends.backend-2.port=0",
                "--connpool.pools.redis.host=127.0.0.1", "--connpool.pools.redis.port=" + Ports.closed())) {
            EmbeddedBackends backends = context.getBean(EmbeddedBackends.class);
            ConnPools pools = context.getBean(ConnPools.class);
            for (String name : new String[] {EmbeddedBackends.ECHO, EmbeddedBackends.BACKEND_1, EmbeddedBackends.BACKEND_2}) {
                LineServer server = backends.server(name);
                assertThat(pools.target(name)).hasValue("tcp://127.0.0.1:" + server.port());
                // min-size connections, opened as the pool bean was made: the server was listening
                ConnPool pool = pools.get(name);
                assertThat(pool.stats().created()).as(name).isGreaterThanOrEqualTo(1);
                assertThat(pool.stats().connectFailures()).as(name).isZero();
                assertThat(pool.lastConnectFailure()).as(name).isEmpty();
            }
            assertThat(context.getEnvironment().getProperty("sample.backends.echo.port", Integer.class))
                    .isEqualTo(backends.server(EmbeddedBackends.ECHO).port());
        }
    }

    @Test
    void offThePoolsUseTheBackendsOfTheProperties() throws IOException {
        try (TestServer echo = TestServer.echo();
                ConfigurableApplicationContext context = app().run("--sample.backends.embedded=false",
                        "--connpool.pools.echo.port=" + echo.port(),
                        "--connpool.pools.backend-1.port=" + Ports.closed(),
                        "--connpool.pools.backend-2.port=" + Ports.closed(),
                        "--connpool.pools.redis.host=127.0.0.1", "--connpool.pools.redis.port=" + Ports.closed())) {
            assertThat(context.getBeansOfType(EmbeddedBackends.class)).isEmpty();
            assertThat(NothingLeftBehind.threads()).doesNotContain("sample-backend-");
            ConnPool pool = context.getBean("echo", ConnPool.class);
            assertThat(LineProtocol.exchange(pool, "to my own echo server", TIMEOUT)).isEqualTo("to my own echo server");
            assertThat(echo.accepted()).isGreaterThanOrEqualTo(1);
        }
    }

    @Test
    void aTakenPortFailsStartupWithAnExplanationAndLeavesNothingRunning(CapturedOutput output) throws IOException {
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            int port = taken.getLocalPort();
            // echo and backend-1 start first; backend-2 fails: the other two must be stopped again
            assertThatThrownBy(() -> app().run("--sample.backends.echo.port=0", "--sample.backends.backend-1.port=0",
                    "--sample.backends.backend-2.port=" + port))
                    .hasRootCauseInstanceOf(java.net.BindException.class);
            assertThat(output.getOut())
                    .contains("APPLICATION FAILED TO START")
                    .contains("Embedded backend 'backend-2' could not listen on 127.0.0.1:" + port)
                    .contains("set sample.backends.backend-2.port to another port")
                    .contains("sample.backends.embedded=false");
        }
    }

    @Test
    void aServerStopsEverythingItStartedAndComesBackOnItsPort() throws IOException {
        LineServer server = new LineServer("test", line -> "re: " + line);
        try {
            server.start(0);
            int port = server.port();
            try (Socket client = new Socket(InetAddress.getLoopbackAddress(), port)) {
                client.setSoTimeout((int) TIMEOUT.toMillis());
                BufferedReader in = new BufferedReader(new InputStreamReader(client.getInputStream(), StandardCharsets.UTF_8));
                OutputStream out = client.getOutputStream();
                out.write("one\ntwo\r\n".getBytes(StandardCharsets.UTF_8));
                assertThat(in.readLine()).isEqualTo("re: one");
                assertThat(in.readLine()).isEqualTo("re: two");
                assertThat(server.openConnections()).isEqualTo(1);

                server.stop();
                assertThat(in.read()).as("the client sees the connection end").isEqualTo(-1);
                assertThat(NothingLeftBehind.threads()).doesNotContain("sample-backend-test");
                assertThatThrownBy(() -> new Socket(InetAddress.getLoopbackAddress(), port).close())
                        .isInstanceOf(ConnectException.class);
            }

            server.restart();
            assertThat(server.port()).isEqualTo(port);
            try (Socket client = new Socket(InetAddress.getLoopbackAddress(), port)) {
                client.setSoTimeout((int) TIMEOUT.toMillis());
                client.getOutputStream().write("three\n".getBytes(StandardCharsets.UTF_8));
                assertThat(new BufferedReader(new InputStreamReader(client.getInputStream(), StandardCharsets.UTF_8))
                        .readLine()).isEqualTo("re: three");
            }
        } finally {
            server.stop();
        }
    }
}
