package dev.connpool;

import dev.connpool.testkit.CloseThrowingFactory;
import dev.connpool.testkit.EchoBackendTest;
import org.junit.jupiter.api.Test;

/**
 * {@link ConnPool#close()} when an idle socket's {@code close()} throws an {@link Error}, after
 * closing: the pool
 * still finishes its shutdown (every socket closed, its threads stopped), and a later
 * {@code close()} returns. A suite of its own, run by failsafe in a JVM of its own: an engine that
 * aborts its shutdown on the throw leaves its evictor thread running for good, which would fail
 * the thread check of every suite that ran after it in a shared JVM. (The RuntimeException case
 * is in {@link SocketCloseFailureTest}.)
 */
class SocketCloseFailureOnShutdownIT extends EchoBackendTest {

    @Test
    void anErrorFromSocketCloseDoesNotStopThePoolsClose() throws Exception {
        SocketCloseFailureTest.poolCloseCompletes("close-error-shutdown", server,
                CloseThrowingFactory.error(server.host(), server.port()));
    }
}
