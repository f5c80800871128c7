/**
 * Connection details of pools from Testcontainers service connections.
 */
package dev.connpool.autoconfigure.testcontainers;
