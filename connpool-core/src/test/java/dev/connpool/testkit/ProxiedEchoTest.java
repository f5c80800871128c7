package dev.connpool.testkit;

import dev.connpool.ConnectionFactory;
import java.io.IOException;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Base of the fault-injection suites: a fresh loopback echo backend per test behind a
 * {@link FaultProxy}, both closed after it, a TCP factory that connects through the proxy, and
 * the check that no pool thread is left behind. Each suite sets its own time bound.
 */
@ExtendWith(NoPoolThreads.class)
public abstract class ProxiedEchoTest {

    /** The echo backend, as the proxy's upstream. */
    protected TestServer backend;
    /** The proxy the pools of the test connect to. */
    protected FaultProxy proxy;

    @BeforeEach
    void startBackendAndProxy() throws IOException {
        backend = TestServer.echo();
        proxy = FaultProxy.to(backend.port());
    }

    @AfterEach
    void stopBackendAndProxy() throws IOException {
        proxy.close();
        backend.close();
    }

    /** A TCP factory that connects through the proxy, each connect bounded by {@code connectTimeout}. */
    protected ConnectionFactory viaProxy(Duration connectTimeout) {
        return ConnectionFactory.tcp(proxy.host(), proxy.port(), connectTimeout);
    }
}
