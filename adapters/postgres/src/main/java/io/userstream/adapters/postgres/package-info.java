/**
 * PostgreSQL adapter, schema by Flyway, on a HikariCP pool: the event store and its reservations, the
 * subscriptions that tail the log gap-safely, the projections they feed (the user read model), the read
 * model's queries and audit trail (this module, adapters/postgres: user-service's), and user-stats-service's stats
 * and inbox (adapters/postgres-stats). The package spans those two modules and adapters/postgres-common, which holds
 * what both use ({@code Db}, {@code DatabaseException}, {@code PostgresSettings}, {@code PostgresPool}). Ordinary SQL goes through
 * Helidon's DbClient over the pool, run by {@code Db} (transactions, retries of aborted ones, error
 * classification); plain JDBC on the same pool only where the DbClient cannot do the work, all of it taken
 * through {@code SessionConnections}: a subscription's session (advisory lock, LISTEN/NOTIFY, each batch with its
 * checkpoint), an operator's replay transaction, the health check. Knows the application's ports, no other adapter.
 */
package io.userstream.adapters.postgres;
