package io.userstream.adapters.postgres;

import io.helidon.dbclient.DbClient;
import io.helidon.dbclient.DbExecute;
import io.helidon.dbclient.DbRow;
import io.helidon.dbclient.DbTransaction;
import io.userstream.application.port.out.UserStatsStore;
import io.userstream.domain.stats.StatsStatus;
import io.userstream.domain.stats.UserStats;

import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;

/**
 * {@link UserStatsStore} on user-stats-service's tables {@code user_stats} and {@code processed_events}
 * (the inbox), in the same database so that an event's inbox entry and its effect commit together.
 * Each method is one statement on a primary key, run through the Helidon {@link DbClient}.
 *
 * <p>A transaction the database aborts (SQLSTATE class 40: a deadlock between two consumers, a
 * serialization failure) is rolled back and its work run again, up to {@link Db#MAX_ATTEMPTS} times; after
 * that the store is reported unavailable. The work therefore acts only through its {@link StatsTransaction}.
 */
public final class PostgresUserStatsStore implements UserStatsStore {

    private static final String COLUMNS = """
            user_id, status, member_since, profile_updates, email_changes, password_changes, last_activity_at, \
            last_event_version, repaired_at, created_at, updated_at""";

    // The DbClient binds ids and instants as text: PostgreSQL casts them back.
    private static final String VALUES = "VALUES (?::uuid, ?, ?::timestamptz, ?, ?, ?, ?::timestamptz, ?, "
            + "?::timestamptz, ?::timestamptz, ?::timestamptz)";

    private static final String FIND = "SELECT " + COLUMNS + " FROM user_stats WHERE user_id = ?::uuid";

    private static final String LOCK = FIND + " FOR UPDATE";

    // Concurrent inserts of one user wait for each other on the primary key; the losers insert nothing.
    private static final String INSERT_IF_ABSENT = "INSERT INTO user_stats (" + COLUMNS + ") " + VALUES
            + " ON CONFLICT (user_id) DO NOTHING";

    // The WHERE keeps a row that is already as far (or further): two transactions that both found no row
    // had nothing to lock, and the one committing last must not move the stats back to an older version.
    private static final String UPSERT = "INSERT INTO user_stats (" + COLUMNS + ") " + VALUES + """
             ON CONFLICT (user_id) DO UPDATE SET
                status = EXCLUDED.status, member_since = EXCLUDED.member_since,
                profile_updates = EXCLUDED.profile_updates, email_changes = EXCLUDED.email_changes,
                password_changes = EXCLUDED.password_changes, last_activity_at = EXCLUDED.last_activity_at,
                last_event_version = EXCLUDED.last_event_version, repaired_at = EXCLUDED.repaired_at,
                created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at
             WHERE user_stats.last_event_version < EXCLUDED.last_event_version""";

    // A concurrent transaction inserting the same id makes this one wait for its outcome: after its commit
    // this inserts nothing (false), after its rollback this inserts (true).
    private static final String MARK_PROCESSED = "INSERT INTO processed_events (event_id) VALUES (?::uuid) "
            + "ON CONFLICT (event_id) DO NOTHING";

    private final Db db;

    /** @param dbClient the DbClient of user-stats-service's database, e.g. {@link PostgresDatabase#dbClient()} */
    public PostgresUserStatsStore(DbClient dbClient) {
        this.db = new Db(dbClient);
    }

    @Override
    public Optional<UserStats> find(UUID userId) {
        return db.execute("read the stats of user " + userId, exec -> select(exec, FIND, userId));
    }

    @Override
    public boolean insertIfAbsent(UserStats stats) {
        return db.execute("insert the stats of user " + stats.userId(),
                exec -> exec.insert(INSERT_IF_ABSENT, params(stats)) == 1);
    }

    @Override
    public <T> T inTransaction(Function<StatsTransaction, T> work) {
        return db.inTransaction("run a transaction on the stats", dbTransaction -> {
            StoreTransaction transaction = new StoreTransaction(dbTransaction);
            try {
                return work.apply(transaction);
            } finally {
                transaction.open = false;
            }
        });
    }

    /** One transaction's statements, all in its one DbClient transaction. */
    private static final class StoreTransaction implements StatsTransaction {

        private final DbTransaction transaction;
        private boolean open = true;

        StoreTransaction(DbTransaction transaction) {
            this.transaction = transaction;
        }

        @Override
        public boolean markProcessed(UUID eventId) {
            requireOpen();
            return transaction.insert(MARK_PROCESSED, eventId) == 1;
        }

        @Override
        public Optional<UserStats> lockStats(UUID userId) {
            requireOpen();
            return select(transaction, LOCK, userId);
        }

        @Override
        public void save(UserStats stats) {
            requireOpen();
            transaction.insert(UPSERT, params(stats));
        }

        private void requireOpen() {
            if (!open) {
                throw new IllegalStateException("the transaction has ended; use the stats transaction only inside its work");
            }
        }
    }

    private static Optional<UserStats> select(DbExecute exec, String sql, UUID userId) {
        return exec.get(sql, userId).map(PostgresUserStatsStore::stats);
    }

    private static Object[] params(UserStats stats) {
        return new Object[] {
            stats.userId(),
            stats.status().name(),
            Db.timestamptz(stats.memberSince()),
            stats.profileUpdates(),
            stats.emailChanges(),
            stats.passwordChanges(),
            Db.timestamptz(stats.lastActivityAt()),
            stats.lastEventVersion(),
            Db.timestamptz(stats.repairedAt()),
            Db.timestamptz(stats.createdAt()),
            Db.timestamptz(stats.updatedAt()),
        };
    }

    private static UserStats stats(DbRow row) {
        return new UserStats(
                Db.uuid(row, "user_id"),
                status(Db.text(row, "status")),
                Db.instant(row, "member_since"),
                Db.int8(row, "profile_updates"),
                Db.int8(row, "email_changes"),
                Db.int8(row, "password_changes"),
                Db.instant(row, "last_activity_at"),
                Db.int8(row, "last_event_version"),
                Db.instant(row, "repaired_at"),
                Db.instant(row, "created_at"),
                Db.instant(row, "updated_at"));
    }

    private static StatsStatus status(String stored) {
        try {
            return StatsStatus.valueOf(stored);
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IllegalStateException("user_stats holds an unknown status " + stored, e);
        }
    }
}
