package dev.connpool.tcp;

import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;
import javax.net.ssl.SSLSocket;

/**
 * Finds the {@link PeekableSocket} under a TLS socket made by {@link TcpConnector}. The JDK gives
 * no way back from a layered {@link SSLSocket} to the socket below it, so the connector records
 * the pair here; entries go when the socket is closed (or collected).
 */
final class TlsSockets {

    private static final Map<SSLSocket, PeekableSocket> RAW = Collections.synchronizedMap(new WeakHashMap<>());

    private TlsSockets() {
    }

    static void register(SSLSocket ssl, PeekableSocket raw) {
        RAW.put(ssl, raw);
    }

    static PeekableSocket rawOf(SSLSocket ssl) {
        return RAW.get(ssl);
    }

    static void unregister(PeekableSocket raw) {
        RAW.values().remove(raw);
    }
}
