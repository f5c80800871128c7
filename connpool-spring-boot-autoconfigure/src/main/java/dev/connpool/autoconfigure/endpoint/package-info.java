/**
 * The {@code connpools} actuator endpoint: every pool's configuration and statistics, and evicting a
 * pool's idle connections.
 */
package dev.connpool.autoconfigure.endpoint;
