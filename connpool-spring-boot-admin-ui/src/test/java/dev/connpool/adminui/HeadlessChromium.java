package dev.connpool.adminui;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Debian's headless Chromium driven by its chromedriver, both named explicitly
 * ({@code /usr/bin/chromium}, {@code /usr/bin/chromedriver}; {@code $CHROMIUM} and {@code $CHROMEDRIVER}
 * override them), so that Selenium Manager never looks for, or downloads, a browser or a driver. Each
 * instance has a profile of its own in a temporary directory. {@link #close()} quits the browser, stops
 * the driver and waits until no Chromium process this JVM started is left.
 *
 * <p>Without the binaries, a browser test is skipped with a message, except under {@code CI=true},
 * where it runs and fails (CI installs Debian's {@code chromium} and {@code chromium-driver}).
 */
public final class HeadlessChromium implements AutoCloseable {

    /** Where screenshots go: {@code target/screenshots}. */
    public static final Path SCREENSHOTS = Path.of("target", "screenshots").toAbsolutePath();

    private static final Duration PAGE_LOAD_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration SCRIPT_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration PROCESS_EXIT = Duration.ofSeconds(15);

    /**
     * Quiet: Selenium looks for a DevTools (CDP) module matching the browser, and warns that there is
     * none; these tests use WebDriver only. Held here, as java.util.logging keeps loggers weakly.
     */
    private static final List<Logger> QUIET = Stream.of("org.openqa.selenium.devtools.CdpVersionFinder",
                    "org.openqa.selenium.chromium.ChromiumDriver")
            .map(Logger::getLogger)
            .peek(logger -> logger.setLevel(Level.SEVERE))
            .collect(Collectors.toList());

    private static final String MISSING = "headless Chromium needs %s and %s; Debian/Ubuntu: "
            + "apt-get install -y chromium chromium-driver";

    private final ChromeDriverService service;
    private final ChromeDriver driver;
    private final Path profile;

    private HeadlessChromium(ChromeDriverService service, ChromeDriver driver, Path profile) {
        this.service = service;
        this.driver = driver;
        this.profile = profile;
    }

    /** {@code $CHROMIUM}, else {@code /usr/bin/chromium}. */
    public static Path browserBinary() {
        return Path.of(System.getenv().getOrDefault("CHROMIUM", "/usr/bin/chromium"));
    }

    /** {@code $CHROMEDRIVER}, else {@code /usr/bin/chromedriver}. */
    public static Path driverBinary() {
        return Path.of(System.getenv().getOrDefault("CHROMEDRIVER", "/usr/bin/chromedriver"));
    }

    private static boolean installed() {
        return Files.isExecutable(browserBinary()) && Files.isExecutable(driverBinary());
    }

    private static boolean inCi() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    /**
     * Whether a browser test runs: a class-level condition, so that a skip shows in the reports with
     * its reason. Under CI it always runs, and {@link #start()} fails without the binaries.
     */
    public static ConditionEvaluationResult availability() {
        if (installed()) {
            return ConditionEvaluationResult.enabled("headless Chromium found");
        }
        String missing = String.format(MISSING, browserBinary(), driverBinary());
        if (inCi()) {
            return ConditionEvaluationResult.enabled("CI=true: browser tests run, and fail without " + missing);
        }
        return ConditionEvaluationResult.disabled(missing + ": browser tests skipped");
    }

    /**
     * Starts chromedriver and a headless Chromium with a fresh profile, 1400 × 1400 pixels, in English.
     *
     * @return the running browser
     * @throws AssertionError if the binaries are missing
     */
    public static HeadlessChromium start() throws IOException {
        if (!installed()) {
            throw new AssertionError(String.format(MISSING, browserBinary(), driverBinary())
                    + (inCi() ? "; CI=true, so the browser tests must run" : ""));
        }
        Path logs = Files.createDirectories(Path.of("target", "browser").toAbsolutePath());
        Path profile = Files.createTempDirectory("connpool-chromium-");
        ChromeOptions options = new ChromeOptions();
        options.setBinary(browserBinary().toFile());
        options.addArguments(
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-crash-reporter",
                "--user-data-dir=" + profile,
                // Tests open page after page by URL. Chromium keeps left pages in its back/forward cache
                // with their open event streams (the admin UI's /admin/applications), and after a few of
                // them the 6 connections it allows per host are taken: the next requests wait forever.
                "--disable-features=BackForwardCache",
                "--window-size=1400,1400",
                "--lang=en-US");
        // the page's console, for a failed test
        options.setCapability("goog:loggingPrefs", Map.of("browser", "ALL"));
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(driverBinary().toFile())
                .usingAnyFreePort()
                .withLogFile(logs.resolve("chromedriver.log").toFile())
                .build();
        ChromeDriver driver;
        try {
            driver = new ChromeDriver(service, options);
        } catch (RuntimeException e) {
            service.stop();
            deleteQuietly(profile);
            throw e;
        }
        driver.manage().timeouts().pageLoadTimeout(PAGE_LOAD_TIMEOUT).scriptTimeout(SCRIPT_TIMEOUT);
        return new HeadlessChromium(service, driver, profile);
    }

    public WebDriver driver() {
        return driver;
    }

    /** A wait bounded by the timeout, polling every 100 ms, through re-rendered (stale) elements. */
    public WebDriverWait await(Duration timeout) {
        WebDriverWait wait = new WebDriverWait(driver, timeout, Duration.ofMillis(100));
        wait.ignoring(StaleElementReferenceException.class);
        return wait;
    }

    /** Sets the window's size, for a screenshot of the part that matters. */
    public void resize(int width, int height) {
        driver.manage().window().setSize(new Dimension(width, height));
    }

    public void open(String url) {
        driver.get(url);
    }

    /** Runs a script in the page and returns its result (lists and maps as Java lists and maps). */
    public Object script(String script, Object... args) {
        return driver.executeScript(script, args);
    }

    /**
     * Saves a screenshot of the window as {@code target/screenshots/<name>.png}.
     *
     * @return the file
     */
    public Path screenshot(String name) {
        return save(driver.getScreenshotAs(OutputType.BYTES), name);
    }

    /**
     * Saves a screenshot of one element as {@code target/screenshots/<name>.png}.
     *
     * @return the file
     */
    public Path screenshot(WebElement element, String name) {
        return save(element.getScreenshotAs(OutputType.BYTES), name);
    }

    /**
     * Saves the page's HTML and its console messages so far beside its screenshots
     * ({@code <name>.html}, {@code <name>.console.txt}), for a failed test.
     */
    public void pageSource(String name) {
        try {
            Path dir = Files.createDirectories(SCREENSHOTS);
            Files.writeString(dir.resolve(name + ".html"), driver.getPageSource(), StandardCharsets.UTF_8);
            String console = driver.manage().logs().get(LogType.BROWSER).getAll().stream()
                    .map(LogEntry::toString)
                    .collect(Collectors.joining(System.lineSeparator()));
            Files.writeString(dir.resolve(name + ".console.txt"), console, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path save(byte[] png, String name) {
        try {
            Path file = Files.createDirectories(SCREENSHOTS).resolve(name + ".png");
            Files.write(file, png);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Quits the browser, stops chromedriver, deletes the profile, and waits until no Chromium or
     * chromedriver process of this JVM is alive; any still alive then is killed and reported.
     *
     * @throws AssertionError if a process had to be killed
     */
    @Override
    public void close() {
        // taken while the process tree is whole: a browser process that outlives chromedriver is no
        // longer a descendant of this JVM
        List<ProcessHandle> started = browserProcesses();
        try {
            driver.quit();
        } finally {
            service.stop();
        }
        long deadline = System.nanoTime() + PROCESS_EXIT.toNanos();
        while (!alive(started).isEmpty() && System.nanoTime() - deadline < 0) {
            LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
        }
        List<ProcessHandle> left = alive(started);
        left.forEach(ProcessHandle::destroyForcibly);
        deleteQuietly(profile);
        if (!left.isEmpty()) {
            throw new AssertionError("browser processes left behind, killed: " + left.stream()
                    .map(p -> p.pid() + " " + p.info().command().orElse("?"))
                    .collect(Collectors.joining(", ")));
        }
    }

    private static List<ProcessHandle> alive(List<ProcessHandle> started) {
        return Stream.concat(started.stream(), browserProcesses().stream())
                .filter(ProcessHandle::isAlive)
                .distinct()
                .collect(Collectors.toList());
    }

    /** Live Chromium and chromedriver processes started by this JVM, directly or not. */
    public static List<ProcessHandle> browserProcesses() {
        try (Stream<ProcessHandle> descendants = ProcessHandle.current().descendants()) {
            return descendants
                    .filter(ProcessHandle::isAlive)
                    .filter(p -> p.info().command().map(c -> c.contains("chrom")).orElse(false))
                    .collect(Collectors.toList());
        }
    }

    private static void deleteQuietly(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            // a temporary directory; the OS cleans it eventually
        }
    }
}
