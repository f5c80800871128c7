/**
 * The {@code connpool} health contributor: one component per pool, at
 * {@code /actuator/health/connpool/<name>}.
 */
package dev.connpool.autoconfigure.health;
