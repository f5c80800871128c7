package dev.connpool.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/** Loopback ports for tests, in every module. */
public final class Ports {

    private Ports() {
    }

    /**
     * A loopback port nobody listens on: one a server socket bound and let go. Another process may
     * take it again, but the kernel hands out ephemeral ports in turn, so not soon.
     */
    public static int closed() {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
