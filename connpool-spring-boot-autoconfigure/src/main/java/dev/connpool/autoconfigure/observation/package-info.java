/**
 * Micrometer Observation of {@code get}: {@link dev.connpool.autoconfigure.observation.ObservedConnPools}.
 */
package dev.connpool.autoconfigure.observation;
