/**
 * The load-balancer example: round robin over pools {@code backend-1} and {@code backend-2}, skipping
 * a backend that is down, {@code GET /lb?msg=} and {@code --demo=load-balancer}.
 */
package dev.connpool.sample.lb;
