package dev.connpool;

import static org.assertj.core.api.Assertions.assertThat;

import dev.connpool.testkit.NoPoolThreads;
import dev.connpool.testkit.TestServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The core quick start of README.md, compiled and run here so that it cannot rot: the README
 * block must be exactly the lines between the tags below.
 */
@Timeout(30)
@ExtendWith(NoPoolThreads.class)
class QuickStartTest {

    static void quickStart(String host, int port) throws IOException {
        // tag::quickstart[]
        ConnPoolConfig config = ConnPoolConfig.builder()
                .minSize(2)
                .maxSize(20)
                .idleTimeout(Duration.ofSeconds(30))
                .maxLifetime(Duration.ofMinutes(5))
                .healthCheck(HealthCheck.liveness())
                .build();

        try (ConnPool pool = ConnPool.create("echo", config,
                ConnectionFactory.tcp(host, port, Duration.ofSeconds(10)))) {
            try (PooledConnection conn = pool.get()) {
                conn.getOutputStream().write("hello\n".getBytes(StandardCharsets.UTF_8));
                BufferedReader in = new BufferedReader(
                        new InputStreamReader(conn.getInputStream(), StandardCharsets.UTF_8));
                System.out.println("got " + in.readLine() + ", pool: " + pool.stats());
            } // close() gives the connection back; call conn.markUnusable() first after an I/O error
        }
        // end::quickstart[]
    }

    @Test
    void theQuickStartRuns() throws Exception {
        java.io.PrintStream stdout = System.out;
        java.io.ByteArrayOutputStream printed = new java.io.ByteArrayOutputStream();
        try (TestServer server = TestServer.echo()) {
            System.setOut(new java.io.PrintStream(printed, true, StandardCharsets.UTF_8));
            try {
                quickStart(server.host(), server.port());
            } finally {
                System.setOut(stdout);
            }
            server.awaitOpen(0, Duration.ofSeconds(5));
            assertThat(server.bytesIn()).isEqualTo("hello\n".length());
        }
        assertThat(printed.toString(StandardCharsets.UTF_8)).startsWith("got hello, pool: size=2, active=1");
    }

    @Test
    void theReadmeShowsExactlyThisQuickStart() throws Exception {
        Path source = Path.of("src/test/java/dev/connpool/QuickStartTest.java");
        List<String> lines = Files.readAllLines(source);
        int from = indexOf(lines, "// tag::quickstart[]") + 1;
        int to = indexOf(lines, "// end::quickstart[]");
        String snippet = lines.subList(from, to).stream()
                .map(l -> l.length() >= 8 ? l.substring(8) : l.strip())
                .collect(Collectors.joining("\n"));
        String readme = Files.readString(Path.of("../README.md"));
        assertThat(readme).contains(snippet);
    }

    private static int indexOf(List<String> lines, String marker) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).strip().equals(marker) && !lines.get(i).contains("indexOf")) {
                return i;
            }
        }
        throw new AssertionError("marker not found: " + marker);
    }
}
