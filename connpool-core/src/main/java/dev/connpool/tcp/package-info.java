/**
 * TCP specifics of connpool, apart from the engine: the connection factory
 * ({@link dev.connpool.tcp.TcpConnector}) with its socket options and TLS, and the health checks
 * behind {@link dev.connpool.HealthCheck#liveness()} and
 * {@link dev.connpool.HealthCheck#requestResponse(byte[], byte[], java.time.Duration)}.
 */
package dev.connpool.tcp;
