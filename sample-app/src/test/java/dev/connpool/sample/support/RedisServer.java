package dev.connpool.sample.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;

/**
 * A real {@code redis-server} process on a free loopback port, for the Redis tests: no persistence,
 * no daemonizing, its output in {@code target/redis/}. It can be killed (SIGKILL, as a crash) and
 * started again on the same port.
 *
 * <p>The binary is {@code $REDIS_SERVER} if set, else {@code redis-server} on the PATH. Without it the
 * tests that need it are skipped (a JUnit assumption), unless the environment has {@code CI=true}:
 * there they must run, so a missing binary fails them.
 */
public final class RedisServer implements AutoCloseable {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(20);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

    private final Path binary;
    private final int port;
    private final Path log;
    private final Thread killOnExit;
    private volatile Process process;

    private RedisServer(Path binary, int port) throws IOException {
        this.binary = binary;
        this.port = port;
        Path dir = Files.createDirectories(Path.of("target", "redis").toAbsolutePath());
        this.log = dir.resolve("redis-" + port + ".log");
        // a backstop only: the JVM going down without close() must not leave a redis-server behind
        this.killOnExit = new Thread(this::killQuietly, "redis-server-" + port + "-reaper");
    }

    /**
     * Starts a server on a free loopback port and waits until it answers PING.
     *
     * @return the running server
     * @throws org.opentest4j.TestAbortedException if there is no redis-server binary and CI is not set
     * @throws AssertionError if there is no redis-server binary and {@code CI=true}
     */
    public static RedisServer start() throws IOException {
        Path binary = requireBinary();
        IOException last = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            // a port another process takes between here and redis binding it fails this attempt only
            RedisServer server = new RedisServer(binary, freePort());
            try {
                server.launch();
                Runtime.getRuntime().addShutdownHook(server.killOnExit);
                return server;
            } catch (IOException e) {
                last = e;
            }
        }
        throw last;
    }

    private static final String MISSING = "redis-server not found (not on the PATH, or not at $REDIS_SERVER); "
            + "Debian/Ubuntu: apt-get install -y redis-server";

    /** The redis-server binary, or a skipped (CI unset) or failed (CI=true) test. */
    public static Path requireBinary() {
        Path binary = findBinary();
        if (binary == null) {
            if (inCi()) {
                throw new AssertionError(MISSING + "; CI=true, so the Redis tests must run");
            }
            Assumptions.abort(MISSING + ": Redis tests skipped");
        }
        return binary;
    }

    /**
     * Whether a test class that needs Redis runs: a class-level condition, so that a skip shows in the
     * reports with its reason (an assumption that fails in a before-all callback is not reported).
     * Under CI it always runs, and fails without the binary.
     */
    public static ConditionEvaluationResult availability() {
        if (findBinary() != null) {
            return ConditionEvaluationResult.enabled("redis-server found");
        }
        if (inCi()) {
            return ConditionEvaluationResult.enabled("CI=true: Redis tests run, and fail without redis-server");
        }
        return ConditionEvaluationResult.disabled(MISSING + ": Redis tests skipped");
    }

    private static boolean inCi() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    /** {@code $REDIS_SERVER} if set, else {@code redis-server} on the PATH or in the usual places. */
    private static Path findBinary() {
        String explicit = System.getenv("REDIS_SERVER");
        if (explicit != null && !explicit.isBlank()) {
            Path candidate = Path.of(explicit);
            return Files.isRegularFile(candidate) && Files.isExecutable(candidate) ? candidate : null;
        }
        List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(":")));
        dirs.addAll(List.of("/usr/bin", "/usr/sbin", "/usr/local/bin"));
        for (String dir : dirs) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(dir, "redis-server");
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return null;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            return s.getLocalPort();
        }
    }

    public int port() {
        return port;
    }

    public synchronized boolean isRunning() {
        return process != null && process.isAlive();
    }

    /** Kills the server with SIGKILL, as a crash, and waits until it is gone. */
    public synchronized void kill() {
        if (process != null) {
            process.destroyForcibly();
            awaitExit(process);
            process = null;
        }
    }

    /** Starts the server again, on the same port, and waits until it answers PING. */
    public synchronized void restart() throws IOException {
        if (isRunning()) {
            throw new IllegalStateException("redis-server on port " + port + " is running");
        }
        launch();
    }

    private synchronized void launch() throws IOException {
        ProcessBuilder builder = new ProcessBuilder(binary.toString(), "--port", Integer.toString(port), "--bind",
                "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no", "--dir",
                log.getParent().toString())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        process = builder.start();
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (!answersPing()) {
            if (!process.isAlive()) {
                int code = process.exitValue();
                process = null;
                throw new IOException("redis-server on port " + port + " exited with code " + code + "; see " + log);
            }
            if (System.nanoTime() - deadline > 0) {
                kill();
                throw new IOException("redis-server on port " + port + " did not answer PING within "
                        + START_TIMEOUT.toSeconds() + " s; see " + log);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
    }

    private boolean answersPing() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
            s.setSoTimeout(1000);
            OutputStream out = s.getOutputStream();
            out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            byte[] reply = in.readNBytes(5);
            return new String(reply, StandardCharsets.US_ASCII).equals("+PONG");
        } catch (IOException e) {
            return false;
        }
    }

    /** Stops the server (SIGTERM, then SIGKILL if it lingers) and waits until it is gone. */
    @Override
    public synchronized void close() {
        if (process != null) {
            process.destroy();
            try {
                if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
            awaitExit(process);
            process = null;
        }
        try {
            Runtime.getRuntime().removeShutdownHook(killOnExit);
        } catch (IllegalStateException e) {
            // the JVM is going down already; the hook runs
        }
    }

    private void killQuietly() {
        Process p = process;
        if (p != null) {
            p.destroyForcibly();
        }
    }

    private static void awaitExit(Process p) {
        boolean interrupted = false;
        long deadline = System.nanoTime() + STOP_TIMEOUT.toNanos();
        while (p.isAlive() && System.nanoTime() - deadline < 0) {
            try {
                p.waitFor(100, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (p.isAlive()) {
            throw new IllegalStateException("redis-server (pid " + p.pid() + ") did not exit");
        }
    }

    @Override
    public String toString() {
        return "redis-server@127.0.0.1:" + port;
    }
}
