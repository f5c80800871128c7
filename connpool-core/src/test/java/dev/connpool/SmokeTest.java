package dev.connpool;

import static org.assertj.core.api.Assertions.assertThat;

import dev.connpool.testkit.TestServer;
import java.io.InputStream;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class SmokeTest {

    @Test
    void echoRoundTrip() throws Exception {
        try (TestServer server = TestServer.echo();
             ConnPool pool = ConnPool.create("smoke", ConnPoolConfig.builder().minSize(2).maxSize(4).build(),
                     ConnectionFactory.tcp(server.host(), server.port(), Duration.ofSeconds(5)))) {
            server.awaitOpen(2, Duration.ofSeconds(5));
            for (int i = 0; i < 1000; i++) {
                try (PooledConnection c = pool.get()) {
                    c.getOutputStream().write('x');
                    InputStream in = c.getInputStream();
                    assertThat(in.read()).isEqualTo('x');
                }
            }
            PoolStats s = pool.stats();
            assertThat(s.successes()).isEqualTo(1000);
            assertThat(s.requests()).isEqualTo(1000);
            assertThat(s.size()).isEqualTo(2);
            pool.close();
            server.awaitOpen(0, Duration.ofSeconds(5));
            assertThat(pool.stats().shutdownClosed()).isEqualTo(2);
        }
    }
}
