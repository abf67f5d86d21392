/**
 * Composition root: reads configuration, builds every adapter and use case with {@code new} in
 * dependency order, and starts the servers. Depends on everything; nothing depends on it.
 */
package io.userstream.bootstrap;
