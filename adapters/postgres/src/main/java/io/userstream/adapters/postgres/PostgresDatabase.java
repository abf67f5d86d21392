package io.userstream.adapters.postgres;

import io.helidon.dbclient.DbClient;

import javax.sql.DataSource;

/**
 * The pooled connection to a service's database, migrated to the current schema on open: user-service's
 * ({@link #open(PostgresSettings)}) or user-stats-service's, each with its own migrations.
 * The adapters do their ordinary SQL through {@link #dbClient()}, a Helidon {@link DbClient} over the
 * pool; the little the DbClient cannot do (a subscription's session, an operator's replay, the health
 * check) takes plain connections of the same pool through {@link SessionConnections}. Close it to release
 * the pool.
 */
public final class PostgresDatabase implements AutoCloseable {

    private final PostgresPool pool;
    private final SessionConnections sessions;
    /** Started by the first event store over this database; user-stats-service's never needs one. */
    private AppendNotifier appendNotifier;

    /** How users' data keys are stored; set once at start ({@link #useMasterKey}). */
    private volatile KeyWrap keyWrap = KeyWrap.NONE;

    private PostgresDatabase(PostgresPool pool) {
        this.pool = pool;
        this.sessions = new SessionConnections(pool.dataSource());
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
        return new PostgresDatabase(PostgresPool.open(settings, flywayLocation, poolName));
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
        return pool.dbClient();
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
        return pool.dataSource();
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
        } finally {
            pool.close();
        }
    }
}
