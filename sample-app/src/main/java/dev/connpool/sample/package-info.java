/**
 * The connpool sample app: {@link dev.connpool.sample.SampleApplication}, and what its examples
 * share (the line protocol, errors as HTTP problems).
 */
package dev.connpool.sample;
