/**
 * Spring Boot auto-configuration of connpool: pools declared under {@code connpool.pools.*} become
 * {@link dev.connpool.ConnPool} beans named after them, listed by {@link dev.connpool.autoconfigure.ConnPools},
 * adjusted by {@link dev.connpool.autoconfigure.ConnPoolCustomizer} beans, opened with the context and
 * closed with it.
 */
package dev.connpool.autoconfigure;
