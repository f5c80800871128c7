package dev.connpool.testkit;

import java.io.IOException;
import java.time.Duration;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One loopback echo {@link TestServer} for a whole test class:
 * {@code @RegisterExtension static final EchoServer server = new EchoServer();}. After the last
 * test it checks that every connection the tests opened was closed and no pool thread is left, then
 * closes the server.
 *
 * <p>A {@code @SpringBootTest} whose application must close before its backend registers it with
 * {@code @ExtendWith(EchoServer.class)} ahead of {@code @SpringBootTest} instead (a field's
 * extension would end before the class's {@code SpringExtension} closes the context), and takes the
 * server from {@link #started()}. Suites that need a fresh server per test extend {@link EchoBackendTest}.
 */
public final class EchoServer implements BeforeAllCallback, AfterAllCallback {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private TestServer server;

    /** The last one started, for a class that registered it with {@code @ExtendWith}. */
    private static volatile EchoServer started;

    @Override
    public void beforeAll(ExtensionContext context) throws IOException {
        server = TestServer.echo();
        started = this;
    }

    @Override
    public void afterAll(ExtensionContext context) throws IOException {
        try {
            server.awaitOpen(0, WAIT);
            NoPoolThreads.awaitNone(WAIT);
        } finally {
            server.close();
        }
    }

    /** The server the last {@code beforeAll} started (test classes run one at a time). */
    public static EchoServer started() {
        return started;
    }

    /** The server itself, for what this class does not pass on. */
    public TestServer server() {
        return server;
    }

    public String host() {
        return server.host();
    }

    public int port() {
        return server.port();
    }

    public int accepted() {
        return server.accepted();
    }

    public int maxOpen() {
        return server.maxOpen();
    }

    public long bytesIn() {
        return server.bytesIn();
    }

    public void awaitOpen(int expected, Duration timeout) {
        server.awaitOpen(expected, timeout);
    }

    public void awaitAccepted(int atLeast, Duration timeout) {
        server.awaitAccepted(atLeast, timeout);
    }
}
