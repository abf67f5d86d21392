package io.userstream.adapters.postgres;

import java.time.Duration;
import java.util.Objects;

/**
 * How to reach the database.
 *
 * @param jdbcUrl        e.g. {@code jdbc:postgresql://127.0.0.1:5432/userstream_users}
 * @param user           database role
 * @param password       may be empty (trust authentication)
 * @param schema         schema holding the tables; {@code public} in production, a private one per test
 * @param maxPoolSize    connections kept by the pool
 * @param connectTimeout how long a caller waits for a connection before failing
 */
public record PostgresSettings(String jdbcUrl, String user, String password, String schema, int maxPoolSize,
                               Duration connectTimeout) {
    public PostgresSettings {
        Objects.requireNonNull(jdbcUrl, "jdbcUrl");
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(password, "password");
        Objects.requireNonNull(schema, "schema");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        if (maxPoolSize < 1) {
            throw new IllegalArgumentException("maxPoolSize must be at least 1");
        }
    }

    @Override
    public String toString() {
        return "PostgresSettings[jdbcUrl=" + jdbcUrl + ", user=" + user + ", schema=" + schema
                + ", maxPoolSize=" + maxPoolSize + "]";
    }
}
