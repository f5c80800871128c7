package dev.connpool.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;

/** Loopback ports for tests, in every module. */
public final class Ports {

    /** The sockets that hold the closed ports; never closed, so the ports stay taken until the JVM exits. */
    private static final List<Socket> HELD = new ArrayList<>();

    private Ports() {
    }

    /**
     * A loopback port nobody listens on and nobody can start listening on while this JVM runs: a
     * client socket stays bound to it without connecting or listening, so a connect to it is refused
     * (there is no listener) and another bind to it fails (the port is in use), even in another
     * process and even with {@code SO_REUSEADDR}.
     *
     * <p>A port merely bound and let go was not enough: in one CI run a Redis was answering on it by
     * the time the sample app's test connected, so the pool that should have been down was up.
     */
    public static int closed() {
        Socket holder = new Socket();
        try {
            holder.setReuseAddress(false);
            holder.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        } catch (IOException e) {
            try {
                holder.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw new UncheckedIOException(e);
        }
        synchronized (HELD) {
            HELD.add(holder);
        }
        return holder.getLocalPort();
    }
}
