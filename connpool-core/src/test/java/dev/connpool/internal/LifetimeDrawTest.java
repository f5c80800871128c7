package dev.connpool.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.connpool.ConnPoolConfig;
import dev.connpool.HealthCheck;
import java.net.Socket;
import dev.connpool.ConnectionFactory;
import dev.connpool.PooledConnection;
import dev.connpool.testkit.TestServer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.LongSummaryStatistics;
import org.junit.jupiter.api.Test;

/** The lifetime jitter: uniform in [0.9, 1.0] × maxLifetime, never above the ceiling. */
class LifetimeDrawTest {

    @Test
    void lifetimesAreDrawnUniformlyBelowTheCeiling() {
        Duration max = Duration.ofMinutes(5);
        PoolEngine engine = new PoolEngine("draw", ConnPoolConfig.builder().maxSize(1).maxLifetime(max)
                .healthCheck(HealthCheck.none()).evictInterval(Duration.ZERO).build(), Socket::new);
        try {
            long ceiling = max.toNanos();
            long floor = ceiling - ceiling / 10;
            LongSummaryStatistics stats = new LongSummaryStatistics();
            int[] deciles = new int[10];
            int n = 100_000;
            for (int i = 0; i < n; i++) {
                long l = engine.drawLifetime();
                stats.accept(l);
                deciles[(int) Math.min(9, (l - floor) * 10 / (ceiling - floor))]++;
            }
            assertThat(stats.getMin()).isGreaterThanOrEqualTo(floor);
            assertThat(stats.getMax()).isLessThanOrEqualTo(ceiling);
            // spread over the whole range, evenly: each tenth of it gets about a tenth of the draws
            assertThat(stats.getMin()).isLessThan(floor + (ceiling - floor) / 100);
            assertThat(stats.getMax()).isGreaterThan(ceiling - (ceiling - floor) / 100);
            for (int d : deciles) {
                assertThat(d).isBetween(n / 10 - n / 50, n / 10 + n / 50);
            }
        } finally {
            engine.close(-1);
        }
    }

    /** The ceiling itself is among the lifetimes drawn (the range is closed at the top). */
    @Test
    void theCeilingItselfIsDrawn() {
        PoolEngine engine = new PoolEngine("ceiling", ConnPoolConfig.builder().maxSize(1)
                .maxLifetime(Duration.ofNanos(20)).healthCheck(HealthCheck.none()).evictInterval(Duration.ZERO)
                .build(), Socket::new);
        try {
            LongSummaryStatistics stats = new LongSummaryStatistics();
            for (int i = 0; i < 1_000; i++) {
                stats.accept(engine.drawLifetime());
            }
            // [18, 20]: each draw is 20 with probability 1/3, so 1,000 draws without it do not happen
            assertThat(stats.getMin()).isEqualTo(18);
            assertThat(stats.getMax()).isEqualTo(20);
        } finally {
            engine.close(-1);
        }
    }

    @Test
    void noLifetimeWhenDisabled() {
        PoolEngine engine = new PoolEngine("immortal", ConnPoolConfig.builder().maxSize(1)
                .healthCheck(HealthCheck.none()).evictInterval(Duration.ZERO).build(), Socket::new);
        try {
            assertThat(engine.drawLifetime()).isZero();
        } finally {
            engine.close(-1);
        }
    }

    /** A connection gets a lifetime of its own, drawn from the range; with lifetimes off, none. */
    @Test
    void eachConnectionLivesItsDrawnLifetime() throws Exception {
        Duration max = Duration.ofMinutes(5);
        try (TestServer server = TestServer.echo()) {
            ConnectionFactory tcp = ConnectionFactory.tcp(server.host(), server.port(), Duration.ofSeconds(5));
            PoolEngine mortal = new PoolEngine("mortal", ConnPoolConfig.builder().maxSize(1).maxLifetime(max)
                    .healthCheck(HealthCheck.none()).evictInterval(Duration.ZERO).build(), tcp);
            try (PooledConnection c = mortal.get(TimeUnit.SECONDS.toNanos(5))) {
                long lifetime = PoolEngine.lifetimeOf(mortal.capacity.all[0]);
                assertThat(lifetime).isBetween(max.toNanos() - max.toNanos() / 10, max.toNanos());
            } finally {
                mortal.close(-1);
            }
            PoolEngine immortal = new PoolEngine("immortal", ConnPoolConfig.builder().maxSize(1)
                    .healthCheck(HealthCheck.none()).evictInterval(Duration.ZERO).build(), tcp);
            try (PooledConnection c = immortal.get(TimeUnit.SECONDS.toNanos(5))) {
                assertThat(PoolEngine.lifetimeOf(immortal.capacity.all[0])).isZero();
            } finally {
                immortal.close(-1);
            }
        }
    }
}
