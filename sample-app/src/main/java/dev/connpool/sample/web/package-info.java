/**
 * The sample's safety default: requests that change something (the actuator's write operations, the
 * admin server's API, Redis commands) only from this machine.
 */
package dev.connpool.sample.web;
