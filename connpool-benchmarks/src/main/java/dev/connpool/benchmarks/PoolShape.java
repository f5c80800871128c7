package dev.connpool.benchmarks;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The pool a scenario measures, declared once on its benchmark class; every pool's fixture reads
 * it in its setup, so all of them are built alike within a scenario.
 */
@Documented
@Inherited
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface PoolShape {

    /** @return connections opened up front (pools with a fixed size open {@link #maxSize()}) */
    int minSize();

    /** @return most connections open at once */
    int maxSize();

    /**
     * @return whether each get checks the connection with {@code HealthCheck.liveness()}
     *         (connpool) or the same check in the peer's validate-on-borrow hook
     */
    boolean healthCheck() default false;

    /**
     * @return connpool's {@code healthCheckAfterIdle} in milliseconds: with {@link #healthCheck()},
     *         a get checks only a connection idle at least this long; 0 checks on every get. The
     *         bag skips its check the same way, as HikariPool's alive bypass does; the other peers'
     *         hooks check every borrow, so they have no such variant
     */
    long healthCheckAfterIdleMillis() default 0;

    /**
     * @return connpool's {@code leakDetectionThreshold} in milliseconds; 0 (the default) turns leak
     *         detection off. The peers have no such setting, so only connpool's scenarios set it
     */
    long leakDetectionMillis() default 0;
}
