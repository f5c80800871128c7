/**
 * The loopback backends the sample app starts for itself, before its pools open.
 */
package dev.connpool.sample.backends;
