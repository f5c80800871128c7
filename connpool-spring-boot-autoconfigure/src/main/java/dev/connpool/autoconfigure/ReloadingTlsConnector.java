package dev.connpool.autoconfigure;

import dev.connpool.ConnPool;
import dev.connpool.ConnectionFactory;
import dev.connpool.tcp.TcpConnector;
import java.io.IOException;
import java.net.Socket;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.ssl.SslBundle;
import org.springframework.boot.ssl.SslOptions;

/**
 * The connection factory of a pool with {@code ssl.bundle}: a {@link TcpConnector} that is built again
 * from the same builder (so whatever the customizers set stays) whenever the bundle is updated
 * ({@code spring.ssl.bundle.*.reload-on-update}), with the bundle's new SSL context and options; the
 * pool is then soft-evicted, so that its connections made with the old material are retired (idle
 * ones now, those in use when returned) and replaced by new ones.
 *
 * <p>An update that arrives while the pool is being opened is not lost: the pool, once attached, is
 * soft-evicted if the connector changed since it was first built.
 */
final class ReloadingTlsConnector implements ConnectionFactory {

    private static final Log logger = LogFactory.getLog(ReloadingTlsConnector.class);

    private final String poolName;
    private final String bundleName;
    private final TcpConnector.Builder builder;

    /** The bundle's options, read by the connector's SSL parameters customizer before each handshake. */
    private volatile SslOptions options;
    private volatile TcpConnector current;

    /** Guarded by {@code this}: the pool to soft-evict, once made; the connector's generation. */
    private @Nullable ConnPool pool;
    private int generation;

    /**
     * Sets the bundle's SSL context and options on the builder; call {@link #build()} once the
     * customizers have run.
     */
    ReloadingTlsConnector(String poolName, String bundleName, SslBundle bundle, TcpConnector.Builder builder) {
        this.poolName = poolName;
        this.bundleName = bundleName;
        this.builder = builder;
        this.options = bundle.getOptions();
        builder.tls(bundle.createSslContext());
        // reads the options of the bundle as it is now: an update may set or change them
        builder.sslParameters(params -> {
            SslOptions now = this.options;
            if (now.getCiphers() != null) {
                params.setCipherSuites(now.getCiphers());
            }
            if (now.getEnabledProtocols() != null) {
                params.setProtocols(now.getEnabledProtocols());
            }
        });
    }

    /** Builds the connector as the customizers left the builder. */
    synchronized TcpConnector build() {
        current = builder.build();
        return current;
    }

    /** The generation of the connector: changes with every update. */
    synchronized int generation() {
        return generation;
    }

    /**
     * Attaches the pool made with this factory.
     *
     * @param made the pool
     * @param builtAt the {@link #generation()} when the pool began to open
     */
    synchronized void attach(ConnPool made, int builtAt) {
        this.pool = made;
        if (generation != builtAt) {
            made.softEvictAll();
        }
    }

    /**
     * The bundle was updated: new connects use its material, and the pool's connections are retired.
     * If the new bundle cannot be used, the pool keeps the old material and this is logged.
     */
    void update(SslBundle bundle) {
        ConnPool toEvict;
        synchronized (this) {
            TcpConnector rebuilt;
            try {
                SslOptions newOptions = bundle.getOptions();
                builder.tls(bundle.createSslContext());
                this.options = newOptions;
                rebuilt = builder.build();
            } catch (RuntimeException e) {
                logger.error("Connection pool '" + poolName + "': SSL bundle '" + bundleName
                        + "' was updated but cannot be used; new connections keep the previous material", e);
                return;
            }
            current = rebuilt;
            generation++;
            toEvict = pool;
        }
        if (toEvict != null) {
            int closed = toEvict.softEvictAll();
            logger.info("Connection pool '" + poolName + "': SSL bundle '" + bundleName + "' updated; new connections"
                    + " use it, " + closed + " idle connections closed, those in use are closed when returned");
        }
    }

    @Override
    public Socket create() throws IOException {
        return current.create();
    }

    @Override
    public String toString() {
        return current.toString();
    }
}
