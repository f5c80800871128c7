package dev.connpool.autoconfigure;

import dev.connpool.testkit.TestServer;
import java.io.IOException;

/** Loopback ports for tests. */
public final class Ports {

    private Ports() {
    }

    /** A loopback port nobody listens on: one a server held and let go. */
    public static int closed() throws IOException {
        try (TestServer s = TestServer.echo()) {
            return s.port();
        }
    }
}
