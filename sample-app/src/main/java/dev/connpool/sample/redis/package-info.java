/**
 * The redis-proxy example: pool {@code redis} with a PING health check, {@code GET /redis/ping},
 * {@code POST /redis} and {@code --demo=redis-proxy}; {@link dev.connpool.sample.redis.Resp} is the
 * RESP2 codec.
 */
package dev.connpool.sample.redis;
