/**
 * Binds every pool's Micrometer meters ({@code connpool.connections*}, tagged {@code pool}) to the
 * application's meter registries.
 */
package dev.connpool.autoconfigure.metrics;
