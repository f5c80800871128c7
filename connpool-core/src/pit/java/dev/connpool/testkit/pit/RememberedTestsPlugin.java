package dev.connpool.testkit.pit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.pitest.classinfo.ClassByteArraySource;
import org.pitest.help.PitHelpError;
import org.pitest.junit5.JUnit5TestPluginFactory;
import org.pitest.testapi.AbstractTestUnit;
import org.pitest.testapi.Configuration;
import org.pitest.testapi.Description;
import org.pitest.testapi.ResultCollector;
import org.pitest.testapi.TestGroupConfig;
import org.pitest.testapi.TestPluginFactory;
import org.pitest.testapi.TestSuiteFinder;
import org.pitest.testapi.TestUnit;
import org.pitest.testapi.TestUnitExecutionListener;
import org.pitest.testapi.TestUnitFinder;

/**
 * Lets a mutation minion skip finding its tests: the coverage run writes down the tests
 * pitest-junit5-plugin found in each class, and every mutation minion reads them back instead of
 * finding them again.
 *
 * <p>Why: PIT ends a minion's JVM after every mutant that hangs a test (a quarter of the engine's
 * mutants), and a new minion first finds the tests of every class it was given. pitest-junit5-plugin
 * finds them by executing each class (a dry run, with {@code PitDiscoveryDryRun}): in a new JVM,
 * finding the engine's tests and running one took 2.4 s of CPU; reading them back, a one-test
 * {@link #warmUp} and the same test, 1.2 s. The engine's run took 13:38 instead of 15:29, with the
 * same mutants detected but for the few a race decides either way.
 *
 * <p>The tests are the same ones: the coverage run's finder is pitest-junit5-plugin's, with the same
 * tag filters, and each test runs as pitest-junit5-plugin runs it (a JUnit launcher selecting its
 * unique id), reported the same way. A class the coverage run did not write down (or a run without
 * the {@value #DIRECTORY} property) falls back to pitest-junit5-plugin, which PIT asks next.
 *
 * <p>Compiled and on the class path in the {@code mutation} profile only (its {@code src/pit}).
 */
public final class RememberedTestsPlugin implements TestPluginFactory {

    /** The system property naming the directory the coverage run writes the tests into. */
    public static final String DIRECTORY = "connpool.pit.tests";

    private static final String COVERAGE_MINION = "org.pitest.coverage.execute.CoverageMinion";
    private static final String MUTATION_MINION = "org.pitest.mutationtest.execute.MutationTestMinion";

    /** Whether this minion has run its {@link #warmUp} (a minion's JVM finds its tests once). */
    private static final AtomicBoolean warmedUp = new AtomicBoolean();

    private final JUnit5TestPluginFactory junit5 = new JUnit5TestPluginFactory();

    @Override
    public String description() {
        return "pitest-junit5-plugin's tests, found once in the coverage run and remembered";
    }

    @Override
    public String name() {
        return "connpool-remembered-junit5";
    }

    @Override
    public Configuration createTestFrameworkConfiguration(TestGroupConfig groups, ClassByteArraySource source,
            Collection<String> excludedRunners, Collection<String> includedTestMethods) {
        TestUnitFinder found = junit5.createTestFrameworkConfiguration(groups, source, excludedRunners,
                includedTestMethods).testUnitFinder();
        String directory = System.getProperty(DIRECTORY);
        return new Configuration() {
            @Override
            public int priority() {
                return DEFAULT_PRIORITY - 1; // asked before pitest-junit5-plugin
            }

            @Override
            public TestUnitFinder testUnitFinder() {
                return (testClass, listener) -> directory == null ? List.of()
                        : find(Path.of(directory), found, testClass, listener);
            }

            @Override
            public TestSuiteFinder testSuiteFinder() {
                return testClass -> List.of();
            }

            @Override
            public Optional<PitHelpError> verifyEnvironment() {
                return Optional.empty();
            }
        };
    }

    /**
     * In the coverage run, the tests pitest-junit5-plugin finds (and runs, recording coverage), written
     * down; in a mutation minion, the tests written down; else none, which leaves the class to
     * pitest-junit5-plugin.
     */
    private static List<TestUnit> find(Path directory, TestUnitFinder found, Class<?> testClass,
            TestUnitExecutionListener listener) {
        Path file = directory.resolve(testClass.getName() + ".tests");
        switch (phase()) {
            case COVERAGE: {
                List<TestUnit> units = found.findTestUnits(testClass, listener);
                write(file, units.stream().map(u -> u.getDescription().getName()).toList());
                return units;
            }
            case MUTATION:
                if (!Files.isRegularFile(file)) {
                    return List.of();
                }
                initialize(testClass);
                List<String> ids = read(file);
                if (!ids.isEmpty() && !warmedUp.getAndSet(true)) {
                    warmUp(ids.get(0));
                }
                return ids.stream().<TestUnit>map(id -> new RememberedTest(testClass, id)).toList();
            default:
                return List.of();
        }
    }

    /**
     * Initializes a test class and its nested classes before any mutant is in, as finding their tests
     * did: a static field a test class builds from the code under test must not be built by the
     * first mutant and then kept for every mutant after it.
     */
    private static void initialize(Class<?> testClass) {
        try {
            Class.forName(testClass.getName(), true, testClass.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException(e);
        }
        for (Class<?> nested : testClass.getDeclaredClasses()) {
            initialize(nested);
        }
    }

    /**
     * Runs one test as a dry run, once per minion, before PIT times any test. JUnit's launcher and
     * engine start cold in a new JVM (about 0.6 s of CPU); finding the tests used to pay for that
     * outside PIT's timeout. Without the warm-up the first test against a mutant paid for it inside
     * the timeout, and passing tests ran past it: in the engine's run, 20 mutants that survive
     * counted as timed out. {@code PitDiscoveryDryRun} skips the test's body, as it does while a
     * minion finds its tests; without that interceptor (JUnit's extension autodetection off) there
     * is no warm-up, since the test would run in full.
     */
    private static void warmUp(String uniqueId) {
        if (Boolean.getBoolean("junit.jupiter.extensions.autodetection.enabled")) {
            LauncherFactory.create().execute(LauncherDiscoveryRequestBuilder.request()
                    .selectors(DiscoverySelectors.selectUniqueId(uniqueId))
                    .build());
        }
    }

    private enum Phase { COVERAGE, MUTATION, OTHER }

    private static Phase phase() {
        return StackWalker.getInstance().walk(frames -> frames
                .map(f -> f.getClassName().equals(COVERAGE_MINION) ? Phase.COVERAGE
                        : f.getClassName().equals(MUTATION_MINION) ? Phase.MUTATION : Phase.OTHER)
                .filter(p -> p != Phase.OTHER)
                .findFirst()
                .orElse(Phase.OTHER));
    }

    private static void write(Path file, List<String> ids) {
        try {
            Files.createDirectories(file.getParent());
            Path partial = Files.createTempFile(file.getParent(), file.getFileName().toString(), ".partial");
            Files.write(partial, ids, StandardCharsets.UTF_8);
            Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<String> read(Path file) {
        try {
            return Files.readAllLines(file, StandardCharsets.UTF_8).stream().filter(l -> !l.isEmpty()).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One test, run and reported as pitest-junit5-plugin's {@code JUnit5TestUnit} runs and reports it. */
    private static final class RememberedTest extends AbstractTestUnit {

        private final Class<?> testClass;

        RememberedTest(Class<?> testClass, String uniqueId) {
            super(new Description(uniqueId, testClass));
            this.testClass = testClass;
        }

        @Override
        public void execute(ResultCollector rc) {
            LauncherFactory.create().execute(LauncherDiscoveryRequestBuilder.request()
                    .selectors(DiscoverySelectors.selectUniqueId(getDescription().getName()))
                    .build(), new TestExecutionListener() {
                        @Override
                        public void executionSkipped(TestIdentifier id, String reason) {
                            if (id.isTest()) {
                                rc.notifySkipped(describe(id));
                            }
                        }

                        @Override
                        public void executionStarted(TestIdentifier id) {
                            if (id.isTest()) {
                                rc.notifyStart(describe(id));
                            }
                        }

                        @Override
                        public void executionFinished(TestIdentifier id, TestExecutionResult result) {
                            Optional<Throwable> failure = result.getThrowable();
                            if (id.isTest() && result.getStatus() == TestExecutionResult.Status.ABORTED) {
                                rc.notifyEnd(describe(id)); // an assumption not met passes, as in JUnit5TestUnit
                            } else if (failure.isPresent()) {
                                rc.notifyEnd(describe(id), failure.get()); // a container's failure too
                            } else if (id.isTest()) {
                                rc.notifyEnd(describe(id));
                            }
                        }
                    });
        }

        private Description describe(TestIdentifier id) {
            return new Description(id.getUniqueId(), testClass);
        }
    }
}
