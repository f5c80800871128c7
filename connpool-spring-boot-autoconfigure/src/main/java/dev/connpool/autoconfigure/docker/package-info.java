/**
 * Connection details of pools from Docker Compose services.
 */
package dev.connpool.autoconfigure.docker;
