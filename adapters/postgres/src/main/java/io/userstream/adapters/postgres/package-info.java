/**
 * PostgreSQL adapter over plain JDBC (HikariCP pool), schema by Flyway: the event store and its
 * reservations, the subscriptions that tail the log gap-safely, the projections they feed (the user
 * read model), and the read model's queries and audit trail. Knows the application's ports, no other adapter.
 */
package io.userstream.adapters.postgres;
