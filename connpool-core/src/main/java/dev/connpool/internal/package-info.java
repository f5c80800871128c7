/**
 * The engine behind {@link dev.connpool.ConnPool}: slots and their lease states, the idle stack,
 * the waiter queue, the coarse clock, the connector and the evictor. Not an API: its types are
 * public only so that the API package can wrap them, and may change in any release.
 */
package dev.connpool.internal;
