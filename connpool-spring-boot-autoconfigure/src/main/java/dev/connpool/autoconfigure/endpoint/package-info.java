/**
 * The {@code connpools} actuator endpoint: every pool's configuration, state and statistics, and the
 * write operation that evicts, soft-evicts, suspends, resumes or resizes a pool.
 */
package dev.connpool.autoconfigure.endpoint;
