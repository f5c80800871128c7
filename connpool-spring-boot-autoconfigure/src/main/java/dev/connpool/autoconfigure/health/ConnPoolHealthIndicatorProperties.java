package dev.connpool.autoconfigure.health;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Settings of the {@code connpool} health contributor, under {@code connpool.health}. Whether it is on
 * stays under {@code management.health.connpool.enabled}, as for Boot's own indicators. The keys it
 * had before under {@code management.health.connpool} are still read when these are not set.
 */
@ConfigurationProperties("connpool.health")
public class ConnPoolHealthIndicatorProperties {

    /**
     * How long a health request waits for a probe, the connection request made when no open
     * connection vouches for the backend; past it the pool is reported down.
     */
    private Duration probeTimeout = Duration.ofMillis(500);

    /**
     * How long a probe's result is reused before the next health request probes again.
     */
    private Duration probeInterval = Duration.ofSeconds(10);

    public Duration getProbeTimeout() {
        return probeTimeout;
    }

    public void setProbeTimeout(Duration probeTimeout) {
        this.probeTimeout = probeTimeout;
    }

    public Duration getProbeInterval() {
        return probeInterval;
    }

    public void setProbeInterval(Duration probeInterval) {
        this.probeInterval = probeInterval;
    }
}
