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
     * A port on 127.0.0.1 nobody listens on, and nobody can start listening on while this JVM runs:
     * a client socket stays bound to it without connecting or listening, so a connect to
     * 127.0.0.1 on it is refused (there is no listener) and another bind to it on 127.0.0.1 or the
     * wildcard address fails (the port is in use), in another process too and even with
     * {@code SO_REUSEADDR}. (A server on {@code ::1} alone could still take it: dial 127.0.0.1.)
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
