/**
 * Micrometer binding for connpool. Nothing else in connpool imports Micrometer, which is an
 * optional dependency: use this package only with {@code micrometer-core} on the class path.
 */
package dev.connpool.micrometer;
