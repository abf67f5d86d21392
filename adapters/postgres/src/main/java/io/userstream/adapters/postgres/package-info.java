/**
 * PostgreSQL adapter: the event store and its reservations over plain JDBC (HikariCP pool),
 * schema by Flyway. Knows the application's outbound ports, no other adapter.
 */
package io.userstream.adapters.postgres;
