package io.userstream.adapters.postgres;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.flywaydb.core.Flyway;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Objects;

/**
 * The pooled connection to a service's database, migrated to the current schema on open: user-service's
 * ({@link #open(PostgresSettings)}) or user-stats-service's, each with its own migrations.
 * Close it to release the pool.
 */
public final class PostgresDatabase implements AutoCloseable {

    private final HikariDataSource dataSource;

    private PostgresDatabase(HikariDataSource dataSource) {
        this.dataSource = dataSource;
    }

    /**
     * Opens user-service's pool and applies pending Flyway migrations ({@code db/migration/users}).
     * Fails fast if the database is unreachable.
     */
    public static PostgresDatabase open(PostgresSettings settings) {
        return open(settings, "classpath:db/migration/users", "userstream-users");
    }

    /**
     * Opens a pool and applies the pending Flyway migrations found at {@code flywayLocation}. Fails fast
     * if the database is unreachable.
     *
     * @param flywayLocation where the service's migrations are, e.g. {@code classpath:db/migration/stats}
     * @param poolName       names the pool's threads and log lines, e.g. {@code userstream-stats}
     */
    public static PostgresDatabase open(PostgresSettings settings, String flywayLocation, String poolName) {
        Objects.requireNonNull(flywayLocation, "flywayLocation");
        Objects.requireNonNull(poolName, "poolName");
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(settings.jdbcUrl());
        config.setUsername(settings.user());
        config.setPassword(settings.password());
        config.setSchema(settings.schema());
        config.setMaximumPoolSize(settings.maxPoolSize());
        config.setConnectionTimeout(settings.connectTimeout().toMillis());
        config.setPoolName(poolName);
        HikariDataSource dataSource = new HikariDataSource(config);
        try {
            Flyway.configure()
                    .dataSource(dataSource)
                    .schemas(settings.schema())
                    .locations(flywayLocation)
                    .load()
                    .migrate();
        } catch (RuntimeException e) {
            dataSource.close();
            throw e;
        }
        return new PostgresDatabase(dataSource);
    }

    public DataSource dataSource() {
        return dataSource;
    }

    /** Whether a connection can be had and answers; for health checks. */
    public boolean isReachable() {
        try (Connection connection = dataSource.getConnection()) {
            return connection.isValid(2);
        } catch (SQLException e) {
            return false;
        }
    }

    @Override
    public void close() {
        dataSource.close();
    }
}
