package dev.connpool.testkit;

import dev.connpool.ConnectionFactory;
import java.io.IOException;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Base of the behaviour suites: a fresh loopback echo server per test, closed after it, a TCP
 * factory for it, a time bound, and the check that no pool thread is left behind.
 */
@Timeout(30)
@ExtendWith(NoPoolThreads.class)
public abstract class EchoBackendTest {

    /** The backend of the test; a test may replace it (after closing it), e.g. to restart on a port. */
    protected TestServer server;

    @BeforeEach
    void startServer() throws IOException {
        server = TestServer.echo();
    }

    @AfterEach
    void stopServer() throws IOException {
        server.close();
    }

    /** A TCP factory for the test's server. */
    protected ConnectionFactory tcp() {
        return ConnectionFactory.tcp(server.host(), server.port(), Duration.ofSeconds(5));
    }
}
