/**
 * The tcp-echo example: pool {@code echo}, {@code GET /echo?msg=} and {@code --demo=tcp-echo}.
 */
package dev.connpool.sample.echo;
