package io.userstream.adapters.postgres;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.helidon.dbclient.DbClient;
import io.helidon.dbclient.DbClientException;
import io.helidon.dbclient.jdbc.JdbcClientBuilder;
import org.flywaydb.core.Flyway;

import javax.sql.DataSource;
import java.sql.SQLException;
import java.util.Objects;

/**
 * The pooled connection to a service's database, migrated to the current schema on open: user-service's
 * ({@link #open(PostgresSettings)}) or user-stats-service's, each with its own migrations.
 * The adapters do their ordinary SQL through {@link #dbClient()}, a Helidon {@link DbClient} over the
 * pool; the little the DbClient cannot do (a subscription's session, an operator's replay, the health
 * check) takes plain connections of the same pool through {@link SessionConnections}. Close it to release
 * the pool.
 */
public final class PostgresDatabase implements AutoCloseable {

    private final HikariDataSource dataSource;
    private final DbClient dbClient;
    private final SessionConnections sessions;
    /** Started by the first event store over this database; user-stats-service's never needs one. */
    private AppendNotifier appendNotifier;

    /** How users' data keys are stored; set once at start ({@link #useMasterKey}). */
    private volatile KeyWrap keyWrap = KeyWrap.NONE;

    private PostgresDatabase(HikariDataSource dataSource) {
        this.dataSource = dataSource;
        this.dbClient = dbClientOver(dataSource);
        this.sessions = new SessionConnections(dataSource);
    }

    /**
     * A DbClient that borrows its connections from {@code dataSource} and returns them on close. Closing
     * the DbClient leaves the pool open: whoever made the pool closes it.
     */
    static DbClient dbClientOver(DataSource dataSource) {
        Objects.requireNonNull(dataSource, "dataSource");
        // A lambda, not a method reference: JdbcConnectionPool.connection() declares no SQLException. The
        // SQLException stays on the cause chain, where DatabaseException.of finds it (pool timeout, 08xxx).
        return JdbcClientBuilder.create()
                .connectionPool(() -> {
                    try {
                        return dataSource.getConnection();
                    } catch (SQLException e) {
                        throw new DbClientException("cannot get a connection from the pool", e);
                    }
                })
                .build();
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
     * @param poolName       names the pool's threads, log lines and connections ({@code application_name}),
     *                       e.g. {@code userstream-stats}
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
        return new PostgresDatabase(dataSource);
    }

    /** The DbClient over this pool, for the adapters' ordinary SQL; valid until {@link #close()}. */
    /**
     * Wraps users' data keys under {@code masterKey} from now on (and unwraps them on every read). Call it
     * right after {@link #open}, before any store or projection is made on this database.
     *
     * @param masterKey 32 random bytes
     * @return this
     */
    public PostgresDatabase useMasterKey(byte[] masterKey) {
        this.keyWrap = KeyWrap.withMasterKey(masterKey);
        return this;
    }

    /** A codec that opens personal data with keys stored the way this database stores them. */
    UserEventCodec codec() {
        return new UserEventCodec(keyWrap);
    }

    public DbClient dbClient() {
        return dbClient;
    }

    /** Plain connections of the same pool, for the work the DbClient cannot do; see {@link SessionConnections}. */
    SessionConnections sessionConnections() {
        return sessions;
    }

    /**
     * The pool itself, for this package's tests only (a benchmark that compares the DbClient with plain
     * JDBC on the same pool). Production code takes plain connections through {@link #sessionConnections()}.
     */
    DataSource dataSource() {
        return dataSource;
    }

    /** What the event store tells of its appends, so that subscriptions wake; one per database, started lazily. */
    synchronized AppendNotifier appendNotifier() {
        if (appendNotifier == null) {
            appendNotifier = new AppendNotifier(sessions);
        }
        return appendNotifier;
    }

    /** Whether a connection can be had and answers; for health checks. */
    public boolean isReachable() {
        return sessions.isValid(2);
    }

    @Override
    public void close() {
        try {
            synchronized (this) {
                if (appendNotifier != null) {
                    appendNotifier.close();
                }
            }
            dbClient.close();
        } finally {
            dataSource.close();
        }
    }
}
