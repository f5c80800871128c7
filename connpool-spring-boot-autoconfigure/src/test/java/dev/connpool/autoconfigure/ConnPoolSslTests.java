package dev.connpool.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.connpool.ConnPool;
import dev.connpool.PooledConnection;
import dev.connpool.testkit.Await;
import dev.connpool.testkit.Certificates;
import dev.connpool.testkit.NoPoolThreads;
import dev.connpool.testkit.TestServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ssl.SslAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * {@code ssl.bundle}: TLS to a real loopback TLS server whose self-signed certificate is made for
 * the test and handed to Spring Boot as a PEM bundle.
 */
@ExtendWith(NoPoolThreads.AfterProbes.class)
class ConnPoolSslTests {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    private TestServer server;

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(SslAutoConfiguration.class, ConnPoolAutoConfiguration.class));

    @AfterEach
    void stop() throws IOException {
        if (server != null) {
            server.close();
        }
    }

    /** Starts the TLS server presenting a certificate for the given names; returns the bundle's property. */
    private String serverWith(String... names) throws Exception {
        Certificates certs = Certificates.selfSigned(names);
        server = TestServer.start(TestServer.Mode.ECHO, 0, certs.serverContext().getServerSocketFactory());
        return trusting(certs, "backend");
    }

    private String trusting(Certificates certs, String bundle) throws Exception {
        Path pem = dir.resolve(bundle + ".pem");
        Files.writeString(pem, certs.certificatePem(), StandardCharsets.US_ASCII);
        return "spring.ssl.bundle.pem." + bundle + ".truststore.certificate=file:" + pem;
    }

    private String[] pool(String... more) {
        String[] props = new String[more.length + 4];
        props[0] = "connpool.pools.secure.host=127.0.0.1";
        props[1] = "connpool.pools.secure.port=" + server.port();
        props[2] = "connpool.pools.secure.min-size=1";
        props[3] = "connpool.pools.secure.connect-timeout=5s";
        for (int i = 0; i < more.length; i++) {
            props[i + 4] = "connpool.pools.secure." + more[i];
        }
        return props;
    }

    private static void roundTrip(ConnPool pool) throws IOException {
        try (PooledConnection conn = pool.get(WAIT)) {
            assertThat(conn.socket()).isInstanceOf(SSLSocket.class);
            conn.getOutputStream().write("hello\n".getBytes(StandardCharsets.US_ASCII));
            conn.getOutputStream().flush();
            assertThat(new String(conn.getInputStream().readNBytes(6), StandardCharsets.US_ASCII))
                    .isEqualTo("hello\n");
        }
    }

    @Test
    void tlsWithTheBundlesTrustAndTheHostNameVerified() throws Exception {
        String bundle = serverWith("127.0.0.1");
        runner.withPropertyValues(bundle).withPropertyValues(pool("ssl.bundle=backend")).run(context -> {
            assertThat(context).hasNotFailed();
            ConnPool pool = context.getBean("secure", ConnPool.class);
            roundTrip(pool);
            // the idle TLS connection passes the liveness check again and again
            roundTrip(pool);
            assertThat(pool.stats().created()).isEqualTo(1);
            assertThat(context.getBean(ConnPools.class).target("secure"))
                    .contains("tls://127.0.0.1:" + server.port());
        });
        server.awaitOpen(0, WAIT);
    }

    @Test
    void aCertificateForAnotherNameFailsStartup() throws Exception {
        String bundle = serverWith("backend.test");
        runner.withPropertyValues(bundle).withPropertyValues(pool("ssl.bundle=backend")).run(context -> {
            assertThat(context).hasFailed();
            assertThat(context).getFailure().hasRootCauseInstanceOf(java.security.cert.CertificateException.class)
                    .hasStackTraceContaining(SSLHandshakeException.class.getName());
        });
    }

    @Test
    void hostNameVerificationCanBeTurnedOff() throws Exception {
        String bundle = serverWith("backend.test");
        runner.withPropertyValues(bundle)
                .withPropertyValues(pool("ssl.bundle=backend", "ssl.verify-hostname=false"))
                .run(context -> roundTrip(context.getBean("secure", ConnPool.class)));
    }

    @Test
    void theServerNameIsVerifiedInsteadOfTheHost() throws Exception {
        String bundle = serverWith("backend.test");
        runner.withPropertyValues(bundle)
                .withPropertyValues(pool("ssl.bundle=backend", "ssl.server-name=backend.test"))
                .run(context -> roundTrip(context.getBean("secure", ConnPool.class)));
    }

    @Test
    void aCertificateTheBundleDoesNotTrustFailsStartup() throws Exception {
        serverWith("127.0.0.1");
        String otherBundle = trusting(Certificates.selfSigned("127.0.0.1"), "other");
        runner.withPropertyValues(otherBundle).withPropertyValues(pool("ssl.bundle=other")).run(context -> {
            assertThat(context).hasFailed();
            assertThat(context).getFailure().hasStackTraceContaining(SSLHandshakeException.class.getName());
        });
    }

    @Test
    void theBundlesProtocolsAreUsed() throws Exception {
        String bundle = serverWith("127.0.0.1");
        runner.withPropertyValues(bundle, "spring.ssl.bundle.pem.backend.options.enabled-protocols=TLSv1.2")
                .withPropertyValues(pool("ssl.bundle=backend"))
                .run(context -> {
                    ConnPool pool = context.getBean("secure", ConnPool.class);
                    try (PooledConnection conn = pool.get(WAIT)) {
                        assertThat(((SSLSocket) conn.socket()).getSession().getProtocol()).isEqualTo("TLSv1.2");
                    }
                    roundTrip(pool);
                });
    }

    @Test
    void aBundleUpdateMakesNewConnectsUseTheNewMaterialAndRetiresTheOldConnections() throws Exception {
        Certificates before = Certificates.selfSigned("127.0.0.1");
        Certificates after = Certificates.selfSigned("127.0.0.1");
        RotatingKeyManager serverKeys = new RotatingKeyManager(before.keyManager());
        server = TestServer.start(TestServer.Mode.ECHO, 0, serverKeys.serverContext().getServerSocketFactory());
        Path pem = dir.resolve("backend.pem");
        Files.writeString(pem, before.certificatePem(), StandardCharsets.US_ASCII);
        runner.withPropertyValues("spring.ssl.bundle.pem.backend.truststore.certificate=file:" + pem,
                        "spring.ssl.bundle.pem.backend.reload-on-update=true",
                        "spring.ssl.bundle.watch.file.quiet-period=100ms")
                .withPropertyValues(pool("ssl.bundle=backend", "evict-interval=0"))
                .run(context -> {
                    ConnPool pool = context.getBean("secure", ConnPool.class);
                    server.awaitOpen(1, WAIT);
                    PooledConnection lent = pool.get(WAIT);
                    assertThat(peer(lent)).isEqualTo(before.certificate());
                    try (PooledConnection idle = pool.get(WAIT)) {
                        assertThat(peer(idle)).isEqualTo(before.certificate());
                    }
                    server.awaitOpen(2, WAIT);

                    // the backend's certificate is rotated: the old trust can no longer connect
                    serverKeys.rotateTo(after.keyManager());
                    int acceptedBefore = server.accepted();
                    Files.writeString(pem, after.certificatePem(), StandardCharsets.US_ASCII);

                    // the idle connection is retired at once (the one in use keeps min-size)
                    Await.until(() -> pool.stats().closed() == 1, WAIT, () -> "the idle connection retired: "
                            + pool.stats());
                    server.awaitOpen(1, WAIT);
                    // the one in use keeps working until it is returned, then it is closed, not lent again,
                    // and the pool refills to min-size with the new trust
                    roundTrip(lent);
                    lent.close();
                    server.awaitAccepted(acceptedBefore + 1, WAIT);
                    server.awaitOpen(1, WAIT);
                    try (PooledConnection fresh = pool.get(WAIT)) {
                        assertThat(peer(fresh)).isEqualTo(after.certificate());
                    }
                    assertThat(server.accepted()).isEqualTo(acceptedBefore + 1);
                    assertThat(pool.stats().size()).isEqualTo(1);
                });
        server.awaitOpen(0, WAIT);
    }

    private static X509Certificate peer(PooledConnection conn) throws IOException {
        return (X509Certificate) ((SSLSocket) conn.socket()).getSession().getPeerCertificates()[0];
    }

    private static void roundTrip(PooledConnection conn) throws IOException {
        conn.getOutputStream().write("again\n".getBytes(StandardCharsets.US_ASCII));
        conn.getOutputStream().flush();
        assertThat(new String(conn.getInputStream().readNBytes(6), StandardCharsets.US_ASCII)).isEqualTo("again\n");
    }

    @Test
    void theBundleCanBeSetForEveryPool() throws Exception {
        String bundle = serverWith("127.0.0.1");
        runner.withPropertyValues(bundle, "connpool.defaults.ssl.bundle=backend")
                .withPropertyValues(pool())
                .run(context -> roundTrip(context.getBean("secure", ConnPool.class)));
    }
}
