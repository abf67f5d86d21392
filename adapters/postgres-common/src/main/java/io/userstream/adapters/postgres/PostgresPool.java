package io.userstream.adapters.postgres;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.helidon.dbclient.DbClient;
import io.helidon.dbclient.DbClientException;
import io.helidon.dbclient.jdbc.JdbcClientBuilder;
import org.flywaydb.core.Flyway;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Objects;

/**
 * A service's pooled connection to its own database, migrated to the current schema on open, with a
 * Helidon {@link DbClient} over the pool for the adapters' SQL ({@link Db}) and a health check. This is
 * all user-stats-service needs of PostgreSQL; user-service's {@code PostgresDatabase} (adapters/postgres)
 * opens one and adds the event store's machinery. Close it to release the pool.
 */
public final class PostgresPool implements AutoCloseable {

    private final HikariDataSource dataSource;
    private final DbClient dbClient;

    private PostgresPool(HikariDataSource dataSource) {
        this.dataSource = dataSource;
        this.dbClient = dbClientOver(dataSource);
    }

    /**
     * A DbClient that borrows its connections from {@code dataSource} and returns them on close. Closing
     * the DbClient leaves the pool open: whoever made the pool closes it.
     */
    static DbClient dbClientOver(DataSource dataSource) {
        Objects.requireNonNull(dataSource, "dataSource");
        return JdbcClientBuilder.create()
                .connectionPool(() -> {
                    try {
                        return dataSource.getConnection();
                    } catch (SQLException e) {
                        // The SQLException stays on the cause chain, where DatabaseException.of finds it.
                        throw new DbClientException("cannot get a connection from the pool", e);
                    }
                })
                .build();
    }

    /**
     * Opens a pool and applies the pending Flyway migrations found at {@code flywayLocation}. Fails fast
     * if the database is unreachable.
     *
     * @param flywayLocation where the service's migrations are, e.g. {@code classpath:db/migration/stats}
     * @param poolName       names the pool's threads, log lines and connections ({@code application_name}),
     *                       e.g. {@code userstream-stats}
     */
    public static PostgresPool open(PostgresSettings settings, String flywayLocation, String poolName) {
        Objects.requireNonNull(settings, "settings");
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
        // Names every connection in pg_stat_activity, so that an operator sees which service holds what.
        if (!settings.jdbcUrl().contains("ApplicationName=")) {
            config.addDataSourceProperty("ApplicationName", poolName);
        }
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
        return new PostgresPool(dataSource);
    }

    /** The DbClient over this pool, for the adapters' ordinary SQL; valid until {@link #close()}. */
    public DbClient dbClient() {
        return dbClient;
    }

    /**
     * The pool itself, for the plain JDBC the DbClient cannot do (user-service's subscriptions hold a session
     * of their own); ordinary SQL goes through {@link #dbClient()}.
     */
    public DataSource dataSource() {
        return dataSource;
    }

    /** Whether a connection can be had and answers within two seconds; for health checks. */
    public boolean isReachable() {
        try (Connection connection = dataSource.getConnection()) {
            return connection.isValid(2);
        } catch (SQLException e) {
            return false;
        }
    }

    @Override
    public void close() {
        try {
            dbClient.close();
        } finally {
            dataSource.close();
        }
    }
}
