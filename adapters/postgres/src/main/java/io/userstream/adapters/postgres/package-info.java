/**
 * PostgreSQL adapter, schema by Flyway, on a HikariCP pool: the event store and its reservations, the
 * subscriptions that tail the log gap-safely, the projections they feed (the user read model), the read
 * model's queries and audit trail, and user-stats-service's stats and inbox. Ordinary SQL goes through
 * Helidon's DbClient over the pool, run by {@code Db} (transactions, retries of aborted ones, error
 * classification); plain JDBC on the same pool only where the DbClient cannot do the work (LISTEN/NOTIFY,
 * session-level locks, streaming reads). Knows the application's ports, no other adapter.
 */
package io.userstream.adapters.postgres;
