/**
 * Metrics adapter: decorators that meter application ports on Helidon's metrics API, so that use
 * cases carry no metric calls. Prometheus names follow its conventions (base units, {@code _total}).
 */
package io.userstream.adapters.metrics;
