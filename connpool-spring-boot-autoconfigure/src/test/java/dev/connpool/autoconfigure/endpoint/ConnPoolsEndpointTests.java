package dev.connpool.autoconfigure.endpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.connpool.ConnPool;
import dev.connpool.PooledConnection;
import dev.connpool.autoconfigure.ConnPoolAutoConfiguration;
import dev.connpool.autoconfigure.ConnPoolCustomizer;
import dev.connpool.autoconfigure.PoolThreads;
import dev.connpool.autoconfigure.endpoint.ConnPoolsEndpoint.ConfigDescriptor;
import dev.connpool.autoconfigure.endpoint.ConnPoolsEndpoint.ConnPoolDescriptor;
import dev.connpool.autoconfigure.endpoint.ConnPoolsEndpoint.ConnPoolsDescriptor;
import dev.connpool.autoconfigure.endpoint.ConnPoolsEndpoint.InvalidRequestDescriptor;
import dev.connpool.autoconfigure.endpoint.ConnPoolsEndpoint.PoolOperationDescriptor;
import dev.connpool.autoconfigure.endpoint.ConnPoolsEndpoint.StatsDescriptor;
import dev.connpool.testkit.Await;
import dev.connpool.testkit.Ports;
import dev.connpool.testkit.TestServer;
import java.io.IOException;
import java.net.Socket;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.boot.actuate.autoconfigure.endpoint.EndpointAutoConfiguration;
import org.springframework.boot.actuate.endpoint.OperationResponseBody;
import org.springframework.boot.actuate.endpoint.web.WebEndpointResponse;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.convert.ApplicationConversionService;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * The {@code connpools} endpoint in a real application context, its operations called on the beans
 * the auto-configuration made (the endpoint and its web extension), against real loopback backends
 * counted on the server side: what the {@code *OverHttpTests} pin, without a web server, so that the
 * mutation run (which leaves those out) judges the endpoint too. The HTTP tests still pin the
 * mapping to URLs, statuses and JSON.
 */
@ExtendWith(PoolThreads.class)
class ConnPoolsEndpointTests {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private TestServer orders;
    private TestServer other;

    // converts properties as an application does ("unrestricted" to Access.UNRESTRICTED)
    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withInitializer(context -> context.getEnvironment().setConversionService(new ApplicationConversionService()))
            .withConfiguration(AutoConfigurations.of(EndpointAutoConfiguration.class, ConnPoolAutoConfiguration.class,
                    ConnPoolsEndpointAutoConfiguration.class))
            .withPropertyValues("management.endpoints.web.exposure.include=connpools",
                    "connpool.defaults.host=127.0.0.1");

    @BeforeEach
    void startBackends() throws IOException {
        orders = TestServer.echo();
        other = TestServer.echo();
    }

    @AfterEach
    void stopBackends() throws IOException {
        try {
            // every socket a context opened was closed with it
            orders.awaitOpen(0, WAIT);
            other.awaitOpen(0, WAIT);
        } finally {
            orders.close();
            other.close();
        }
    }

    /** orders: request-response with a password in its request, sizes 2..4; other: the defaults and more. */
    private ApplicationContextRunner twoPools() {
        return runner.withPropertyValues(
                "connpool.pools.orders.port=" + orders.port(),
                "connpool.pools.orders.min-size=2",
                "connpool.pools.orders.max-size=4",
                "connpool.pools.orders.evict-interval=0",
                "connpool.pools.orders.idle-timeout=30s",
                "connpool.pools.orders.health-check.type=request-response",
                "connpool.pools.orders.health-check.request=AUTH s3cret\\r\\n",
                "connpool.pools.orders.health-check.expect=AUTH",
                "connpool.pools.other.port=" + other.port(),
                "connpool.pools.other.min-size=1");
    }

    private ApplicationContextRunner writable() {
        return twoPools().withPropertyValues("management.endpoint.connpools.access=unrestricted");
    }

    private static ConnPoolsEndpoint endpoint(AssertableApplicationContext context) {
        return context.getBean(ConnPoolsEndpoint.class);
    }

    private static ConnPoolsEndpointWebExtension web(AssertableApplicationContext context) {
        return context.getBean(ConnPoolsEndpointWebExtension.class);
    }

    private static ConnPool pool(AssertableApplicationContext context, String name) {
        return context.getBean(name, ConnPool.class);
    }

    /** Waits until the pool holds exactly {@code n} idle connections (it refills in the background). */
    private static void awaitIdle(ConnPool pool, int n) {
        Await.until(() -> pool.stats().available() == n, WAIT, () -> n + " idle: " + pool.stats());
    }

    // ---- read ----

    @Test
    void listsEveryPoolInOrderWithItsConfigStatsAndTarget() throws Exception {
        twoPools().withPropertyValues(
                "connpool.pools.other.max-size=7",
                "connpool.pools.other.increment=3",
                "connpool.pools.other.max-lifetime=5m",
                "connpool.pools.other.evict-interval=90s",
                "connpool.pools.other.acquire-timeout=250ms",
                "connpool.pools.other.max-waiters=11",
                "connpool.pools.other.fail-fast=false",
                "connpool.pools.other.health-check.type=none",
                "connpool.pools.other.health-check.after-idle=2h",
                "connpool.pools.other.leak-detection-threshold=1500ms",
                "connpool.pools.other.max-connect-backoff=2d").run(context -> {
                    orders.awaitOpen(2, WAIT);
                    other.awaitOpen(1, WAIT);
                    ConnPoolsDescriptor all = endpoint(context).connPools();
                    // read-only is the default access: a view offers no write operation
                    assertThat(all.access()).isEqualTo("read-only");
                    assertThat(all.pools()).containsOnlyKeys("orders", "other");
                    assertThat(all.pools().keySet()).containsExactly("orders", "other");

                    ConnPoolDescriptor o = all.pools().get("orders");
                    assertThat(o.name()).isEqualTo("orders");
                    assertThat(o.target()).isEqualTo("tcp://127.0.0.1:" + orders.port());
                    assertThat(o.closed()).isFalse();
                    assertThat(o.suspended()).isFalse();
                    assertThat(o.lastConnectError()).isNull();
                    assertThat(o.config()).isEqualTo(new ConfigDescriptor(2, 4, 1, "30s", "0s", "0s", "30s", null,
                            true, "request-response", "0s", "0s", "10s"));
                    StatsDescriptor s = o.stats();
                    assertThat(s.size()).isEqualTo(2);
                    assertThat(s.idle()).isEqualTo(2);
                    assertThat(s.active()).isZero();
                    assertThat(s.waiters()).isZero();
                    assertThat(s.connecting()).isZero();
                    assertThat(s.created()).isEqualTo(2);
                    assertThat(s.connectFailures()).isZero();
                    assertThat(s.closed()).containsExactly(Map.entry("idle", 0L), Map.entry("lifetime", 0L),
                            Map.entry("health", 0L), Map.entry("unusable", 0L), Map.entry("shutdown", 0L));
                    assertThat(s.waitTime()).isEqualTo("0s");

                    ConnPoolDescriptor p = all.pools().get("other");
                    assertThat(p.target()).isEqualTo("tcp://127.0.0.1:" + other.port());
                    assertThat(p.config()).isEqualTo(new ConfigDescriptor(1, 7, 3, "0s", "5m", "90s", "250ms", 11,
                            false, "none", "2h", "1500ms", "2d"));
                    assertThat(p.stats().size()).isEqualTo(1);

                    // the health check's request carries a password: never shown
                    assertThat(all.toString()).doesNotContain("s3cret").doesNotContain("AUTH");
                });
    }

    @Test
    void theCountersFollowWhatThePoolDid() throws Exception {
        twoPools().run(context -> {
            ConnPool pool = pool(context, "orders");
            orders.awaitOpen(2, WAIT);
            try (PooledConnection lease = pool.get(WAIT)) {
                StatsDescriptor lent = endpoint(context).connPool("orders").stats();
                assertThat(lent.active()).isEqualTo(1);
                assertThat(lent.idle()).isEqualTo(1);
                assertThat(lent.requests()).isEqualTo(1);
                assertThat(lent.successes()).isEqualTo(1);
                lease.markUnusable();
            }
            StatsDescriptor after = endpoint(context).connPool("orders").stats();
            assertThat(after.closed()).containsEntry("unusable", 1L).containsEntry("idle", 0L);
            assertThat(after.timeouts()).isZero();
            assertThat(after.leaksSuspected()).isZero();
            assertThat(after.healthChecksSkipped()).isZero();
        });
    }

    @Test
    void onePoolByNameAndNothingForAnUnknownName() {
        twoPools().run(context -> {
            ConnPoolDescriptor other = endpoint(context).connPool("other");
            assertThat(other.name()).isEqualTo("other");
            assertThat(other.config().minSize()).isEqualTo(1);
            assertThat(other.config().healthCheck()).as("the default check").isEqualTo("liveness");
            assertThat(endpoint(context).connPool("nope")).isNull();
        });
    }

    @Test
    void theReadOutputSaysWritesAreAllowedOnceAccessIsUnrestricted() {
        writable().run(context -> assertThat(endpoint(context).connPools().access()).isEqualTo("unrestricted"));
    }

    @Test
    void withoutAnAccessResolverTheReadOutputLeavesAccessOut() {
        new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(ConnPoolAutoConfiguration.class,
                        ConnPoolsEndpointAutoConfiguration.class))
                .withPropertyValues("management.endpoints.web.exposure.include=connpools",
                        "connpool.pools.orders.host=127.0.0.1", "connpool.pools.orders.port=" + orders.port())
                .run(context -> {
                    ConnPoolsDescriptor all = endpoint(context).connPools();
                    assertThat(all.access()).isNull();
                    assertThat(all.pools()).containsOnlyKeys("orders");
                });
    }

    @Test
    void aPoolWhoseConnectFailedShowsTheFailure() {
        int closed = Ports.closed();
        runner.withPropertyValues("connpool.pools.down.port=" + closed, "connpool.pools.down.min-size=0")
                .run(context -> {
                    ConnPool pool = pool(context, "down");
                    assertThatThrownBy(() -> pool.get(WAIT)).isInstanceOf(IOException.class);
                    ConnPoolDescriptor down = endpoint(context).connPool("down");
                    assertThat(down.lastConnectError()).contains("ConnectException").contains("refused");
                    assertThat(down.stats().connectFailures()).isEqualTo(1);
                    assertThat(down.stats().requests()).isEqualTo(1);
                    assertThat(down.stats().successes()).isZero();
                    assertThat(down.stats().size()).isZero();
                });
    }

    @Test
    void aCheckOfTheApplicationsOwnIsCustomAndAReplacedFactoryHasNoTarget() {
        ConnPoolCustomizer custom = (name, spec) -> {
            if (name.equals("other")) {
                var tcp = spec.connector().build();
                spec.healthCheck(socket -> { }).connectionFactory(tcp::create);
            }
        };
        twoPools().withBean(ConnPoolCustomizer.class, () -> custom).run(context -> {
            ConnPoolDescriptor other = endpoint(context).connPool("other");
            assertThat(other.config().healthCheck()).isEqualTo("custom");
            assertThat(other.target()).isNull();
            assertThat(endpoint(context).connPool("orders").target()).isNotNull();
        });
    }

    @Test
    void aClosedPoolSaysSo() {
        twoPools().run(context -> {
            pool(context, "other").close();
            ConnPoolDescriptor closed = endpoint(context).connPool("other");
            assertThat(closed.closed()).isTrue();
            assertThat(closed.stats().size()).isZero();
            assertThat(closed.stats().closed()).containsEntry("shutdown", 1L);
            assertThat(endpoint(context).connPool("orders").closed()).isFalse();
        });
    }

    @Test
    void theDescriptorsAreImmutableCopies() {
        Map<String, ConnPoolDescriptor> pools = new LinkedHashMap<>();
        ConnPoolsDescriptor all = new ConnPoolsDescriptor("read-only", pools);
        pools.put("late", null);
        assertThat(all.pools()).isEmpty();
        assertThatThrownBy(() -> all.pools().put("x", null)).isInstanceOf(UnsupportedOperationException.class);
        Map<String, Long> closed = new LinkedHashMap<>(Map.of("idle", 1L));
        StatsDescriptor stats = new StatsDescriptor(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, closed, 0, "0s", 0, 0);
        closed.put("late", 2L);
        assertThat(stats.closed()).containsOnlyKeys("idle");
        assertThatThrownBy(() -> stats.closed().put("x", 1L)).isInstanceOf(UnsupportedOperationException.class);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            "PT0S, 0s",
            "PT48H, 2d",
            "PT3H, 3h",
            "PT90M, 90m",
            "PT5M, 5m",
            "PT90S, 90s",
            "PT30S, 30s",
            "PT0.25S, 250ms",
            "PT0.0015S, 1500us",
            "PT0.000000007S, 7ns",
            "PT1.000000001S, 1000000001ns"})
    void durationsAreShownAsTheyAreWrittenInProperties(Duration duration, String shown) {
        assertThat(ConnPoolsEndpoint.duration(duration)).isEqualTo(shown);
    }

    @Test
    void aDurationTooLongForNanosecondsIsShownInDays() {
        // past about 292 years a Duration has no long count of nanoseconds
        assertThat(ConnPoolsEndpoint.duration(Duration.ofDays(200_000))).isEqualTo("200000d");
    }

    // ---- write ----

    @Test
    void noActionEvictsTheIdleConnectionsAndLeavesThoseInUse() throws Exception {
        writable().run(context -> {
            ConnPool pool = pool(context, "orders");
            orders.awaitOpen(2, WAIT);
            try (PooledConnection inUse = pool.get(WAIT)) {
                int acceptedBefore = orders.accepted();
                WebEndpointResponse<OperationResponseBody> response = web(context).operate("orders", null, null, null);
                assertThat(response.getStatus()).isEqualTo(200);
                PoolOperationDescriptor outcome = (PoolOperationDescriptor) response.getBody();
                assertThat(outcome).isEqualTo(new PoolOperationDescriptor("orders", "evict-idle", 1, false, false, 2, 4));
                // the idle one closed and one opened in its place (min-size 2); the one in use intact
                orders.awaitAccepted(acceptedBefore + 1, WAIT);
                orders.awaitOpen(2, WAIT);
                inUse.getOutputStream().write('x');
                assertThat(inUse.getInputStream().read()).isEqualTo('x');
                assertThat(pool.stats().idleClosed()).isEqualTo(1);
            }
            // a blank action is no action, and the method the Java API offers does the same
            awaitIdle(pool, 2);
            assertThat(endpoint(context).operate("orders", "  ", null, null).evicted()).isEqualTo(2);
            awaitIdle(pool, 2);
            assertThat(endpoint(context).evictIdle("orders").evicted()).isEqualTo(2);
            assertThat(endpoint(context).evictIdle("nope")).isNull();
        });
    }

    @Test
    void evictIdleCanBeNamed() {
        writable().run(context -> {
            orders.awaitOpen(2, WAIT);
            PoolOperationDescriptor outcome = endpoint(context).operate("orders", " evict-idle ", null, null);
            assertThat(outcome.action()).isEqualTo("evict-idle");
            assertThat(outcome.evicted()).isEqualTo(2);
        });
    }

    @Test
    void softEvictRetiresIdleConnectionsNowAndLentOnesWhenTheyComeBack() throws Exception {
        writable().run(context -> {
            ConnPool pool = pool(context, "orders");
            orders.awaitOpen(2, WAIT);
            int acceptedBefore = orders.accepted();
            PooledConnection lent = pool.get(WAIT);
            Socket lentSocket = lent.socket();
            PoolOperationDescriptor outcome = endpoint(context).operate("orders", "soft-evict", null, null);
            assertThat(outcome).isEqualTo(new PoolOperationDescriptor("orders", "soft-evict", 1, false, false, 2, 4));
            // the lent one works until it is returned, then it is closed, not lent again
            lent.getOutputStream().write('y');
            assertThat(lent.getInputStream().read()).isEqualTo('y');
            lent.close();
            // the two open now were both accepted after the call
            orders.awaitAccepted(acceptedBefore + 2, WAIT);
            orders.awaitOpen(2, WAIT);
            try (PooledConnection fresh = pool.get(WAIT)) {
                assertThat(fresh.socket()).isNotSameAs(lentSocket);
            }
        });
    }

    @Test
    void suspendMakesGetsWaitAndResumeServesThem() throws Exception {
        writable().run(context -> {
            ConnPool pool = pool(context, "orders");
            orders.awaitOpen(2, WAIT);
            PoolOperationDescriptor suspended = endpoint(context).operate("orders", "suspend", null, null);
            assertThat(suspended).isEqualTo(new PoolOperationDescriptor("orders", "suspend", null, true, false, 2, 4));
            assertThat(pool.isSuspended()).isTrue();
            assertThat(endpoint(context).connPool("orders").suspended()).isTrue();

            CompletableFuture<String> waiting = CompletableFuture.supplyAsync(() -> {
                try (PooledConnection c = pool.get(WAIT)) {
                    return "served";
                } catch (IOException e) {
                    return e.toString();
                }
            });
            TestServer.awaitCondition(() -> pool.stats().waiters() == 1, WAIT, "the get waits while suspended");
            assertThat(waiting).isNotDone();

            PoolOperationDescriptor resumed = endpoint(context).operate("orders", "resume", null, null);
            assertThat(resumed).isEqualTo(new PoolOperationDescriptor("orders", "resume", null, false, false, 2, 4));
            assertThat(waiting.get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo("served");
            assertThat(endpoint(context).connPool("orders").suspended()).isFalse();
        });
    }

    @Test
    void resizeChangesTheSizesTheReadOutputAndThePoolShow() {
        writable().run(context -> {
            ConnPool pool = pool(context, "orders");
            PoolOperationDescriptor grown = endpoint(context).operate("orders", "resize", "3", " 6 ");
            assertThat(grown).isEqualTo(new PoolOperationDescriptor("orders", "resize", null, false, false, 3, 6));
            assertThat(pool.config().minSize()).isEqualTo(3);
            assertThat(pool.config().maxSize()).isEqualTo(6);
            // the pool refills to the new min-size, counted on the server side
            orders.awaitOpen(3, WAIT);
            ConfigDescriptor read = endpoint(context).connPool("orders").config();
            assertThat(read.minSize()).isEqualTo(3);
            assertThat(read.maxSize()).isEqualTo(6);

            // one size alone keeps the other, either way round
            assertThat(endpoint(context).operate("orders", "resize", null, "5").maxSize()).isEqualTo(5);
            assertThat(pool.config().minSize()).isEqualTo(3);
            assertThat(endpoint(context).operate("orders", "resize", "1", null).minSize()).isEqualTo(1);
            assertThat(pool.config().maxSize()).isEqualTo(5);
        });
    }

    @ParameterizedTest(name = "{0} {1}/{2} -> {3}")
    @CsvSource(delimiter = '|', nullValues = "-", value = {
            "drain      | -    | -    | action  | action must be one of evict-idle, soft-evict, suspend, resume, resize (was 'drain')",
            "-          | -    | 8    | action  | action must be resize when minSize or maxSize is given (an empty body evicts idle connections)",
            "-          | 1    | -    | action  | action must be resize when minSize or maxSize is given",
            "suspend    | 1    | -    | minSize | minSize is only taken by action resize (action was suspend)",
            "soft-evict | -    | 3    | maxSize | maxSize is only taken by action resize (action was soft-evict)",
            "evict-idle | 1    | 3    | minSize | minSize is only taken by action resize (action was evict-idle)",
            "resize     | -    | -    | maxSize | resize needs maxSize, minSize or both",
            "resize     | -    | many | maxSize | maxSize must be a whole number (was 'many')",
            "resize     | 2.5  | -    | minSize | minSize must be a whole number (was '2.5')",
            "resize     | -    | 0    | maxSize | maxSize must be",
            "resize     | 9    | -    | minSize | minSize must",
            "resize     | -1   | 3    | minSize | minSize must"})
    void aRequestThatBreaksARuleIsRefusedNamingTheFieldAndTheRule(String action, String minSize, String maxSize,
            String field, String rule) {
        writable().run(context -> {
            ConnPool pool = pool(context, "orders");
            assertThatThrownBy(() -> endpoint(context).operate("orders", action, minSize, maxSize))
                    .isInstanceOfSatisfying(InvalidPoolOperationException.class, e -> {
                        assertThat(e.getField()).isEqualTo(field);
                        assertThat(e.getReason()).startsWith(rule);
                        assertThat(e.getMessage()).startsWith(rule);
                    });
            // over HTTP: 400 with a body that names the field and the rule
            WebEndpointResponse<OperationResponseBody> response = web(context).operate("orders", action, minSize,
                    maxSize);
            assertThat(response.getStatus()).isEqualTo(400);
            InvalidRequestDescriptor body = (InvalidRequestDescriptor) response.getBody();
            assertThat(body.status()).isEqualTo(400);
            assertThat(body.error()).isEqualTo("Bad Request");
            assertThat(body.field()).isEqualTo(field);
            assertThat(body.message()).startsWith(rule);
            // nothing was done, also to a pool of another name
            assertThat(pool.isSuspended()).isFalse();
            assertThat(pool.config().minSize()).isEqualTo(2);
            assertThat(pool.config().maxSize()).isEqualTo(4);
            assertThat(pool.stats().idleClosed()).isZero();
            assertThat(pool.stats().lifetimeClosed()).isZero();
        });
    }

    @Test
    void aRuleIsCheckedBeforeThePoolIsLookedUp() {
        writable().run(context -> assertThatThrownBy(() -> endpoint(context).operate("nope", "drain", null, null))
                .isInstanceOf(InvalidPoolOperationException.class));
    }

    @Test
    void anUnknownPoolIsNotFoundWhateverTheAction() {
        writable().run(context -> {
            for (String action : new String[] {null, "evict-idle", "soft-evict", "suspend", "resume"}) {
                assertThat(endpoint(context).operate("nope", action, null, null)).as("%s", action).isNull();
                WebEndpointResponse<OperationResponseBody> response = web(context).operate("nope", action, null, null);
                assertThat(response.getStatus()).as("%s", action).isEqualTo(404);
                assertThat(response.getBody()).isNull();
            }
            assertThat(endpoint(context).operate("nope", "resize", "1", "2")).isNull();
            // the pools that exist were not touched
            assertThat(pool(context, "orders").isSuspended()).isFalse();
        });
    }

    @Test
    void anActionOnAClosedPoolDoesNothingAndSaysSo() {
        writable().run(context -> {
            ConnPool pool = pool(context, "other");
            pool.close();
            PoolOperationDescriptor outcome = endpoint(context).operate("other", "soft-evict", null, null);
            assertThat(outcome.closed()).isTrue();
            assertThat(outcome.evicted()).isZero();
        });
    }
}
