package io.userstream.adapters.postgres;

import io.helidon.dbclient.DbClient;
import io.helidon.dbclient.DbExecute;
import io.helidon.dbclient.DbRow;
import io.helidon.dbclient.DbTransaction;
import io.userstream.application.port.out.UserStatsStore;
import io.userstream.domain.stats.StatsStatus;
import io.userstream.domain.stats.UserStats;

import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * {@link UserStatsStore} on user-stats-service's tables {@code user_stats} and {@code processed_events}
 * (the inbox), in the same database so that an event's inbox entry and its effect commit together.
 * Each method is one statement, run through the Helidon {@link DbClient}: on one primary key, or for a
 * batch ({@code markAllProcessed}, {@code lockAllStats}, {@code saveAll}) on arrays of them, so that a
 * batch of events costs a fixed number of round trips whatever its size.
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

    // The batch forms of the statements above: arrays bound as one parameter each and unnested.
    // Ids are inserted in sorted order, so that two transactions with overlapping ids wait for each
    // other rather than deadlock.
    private static final String MARK_ALL_PROCESSED = "INSERT INTO processed_events (event_id) "
            + "SELECT id FROM unnest(?::uuid[]) AS ids(id) ORDER BY id ON CONFLICT (event_id) DO NOTHING RETURNING event_id";

    // ORDER BY under FOR UPDATE: rows are locked in user_id order, the same in every transaction.
    private static final String LOCK_ALL = "SELECT " + COLUMNS + " FROM user_stats WHERE user_id = ANY (?::uuid[]) "
            + "ORDER BY user_id FOR UPDATE";

    private static final String UPSERT_ALL = "INSERT INTO user_stats (" + COLUMNS + ") SELECT * FROM unnest("
            + "?::uuid[], ?::text[], ?::timestamptz[], ?::bigint[], ?::bigint[], ?::bigint[], ?::timestamptz[], "
            + "?::bigint[], ?::timestamptz[], ?::timestamptz[], ?::timestamptz[]) ORDER BY 1"
            + " " + UPSERT.substring(UPSERT.indexOf("ON CONFLICT"));

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

        @Override
        public Set<UUID> markAllProcessed(Collection<UUID> eventIds) {
            requireOpen();
            if (eventIds.isEmpty()) {
                return Set.of();
            }
            Set<UUID> fresh = new LinkedHashSet<>();
            try (Stream<DbRow> rows = transaction.query(MARK_ALL_PROCESSED, (Object) uuids(eventIds))) {
                rows.forEach(row -> fresh.add(Db.uuid(row, "event_id")));
            }
            return fresh;
        }

        @Override
        public Map<UUID, UserStats> lockAllStats(Collection<UUID> userIds) {
            requireOpen();
            Map<UUID, UserStats> found = new HashMap<>();
            if (userIds.isEmpty()) {
                return found;
            }
            try (Stream<DbRow> rows = transaction.query(LOCK_ALL, (Object) uuids(userIds))) {
                rows.map(PostgresUserStatsStore::stats).forEach(stats -> found.put(stats.userId(), stats));
            }
            return found;
        }

        @Override
        public void saveAll(Collection<UserStats> stats) {
            requireOpen();
            if (stats.isEmpty()) {
                return;
            }
            transaction.insert(UPSERT_ALL, arrays(stats));
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

    /** Ids as an array parameter for {@code ?::uuid[]} (as text, like single ids). */
    private static String[] uuids(Collection<UUID> ids) {
        return ids.stream().map(UUID::toString).toArray(String[]::new);
    }

    /** The parameters of {@link #UPSERT_ALL}: one array per column, the i-th entries making the i-th row. */
    private static Object[] arrays(Collection<UserStats> rows) {
        int n = rows.size();
        String[] userIds = new String[n];
        String[] statuses = new String[n];
        String[] memberSince = new String[n];
        Long[] profileUpdates = new Long[n];
        Long[] emailChanges = new Long[n];
        Long[] passwordChanges = new Long[n];
        String[] lastActivityAt = new String[n];
        Long[] lastEventVersions = new Long[n];
        String[] repairedAt = new String[n];
        String[] createdAt = new String[n];
        String[] updatedAt = new String[n];
        Set<UUID> users = new HashSet<>();
        int i = 0;
        for (UserStats stats : rows) {
            // ON CONFLICT DO UPDATE cannot change one row twice in a statement: say which user it was.
            if (!users.add(stats.userId())) {
                throw new IllegalArgumentException("saveAll takes one entry per user; user " + stats.userId()
                        + " comes twice");
            }
            userIds[i] = stats.userId().toString();
            statuses[i] = stats.status().name();
            memberSince[i] = Db.timestamptz(stats.memberSince());
            profileUpdates[i] = stats.profileUpdates();
            emailChanges[i] = stats.emailChanges();
            passwordChanges[i] = stats.passwordChanges();
            lastActivityAt[i] = Db.timestamptz(stats.lastActivityAt());
            lastEventVersions[i] = stats.lastEventVersion();
            repairedAt[i] = Db.timestamptz(stats.repairedAt());
            createdAt[i] = Db.timestamptz(stats.createdAt());
            updatedAt[i] = Db.timestamptz(stats.updatedAt());
            i++;
        }
        return new Object[] {userIds, statuses, memberSince, profileUpdates, emailChanges, passwordChanges,
                lastActivityAt, lastEventVersions, repairedAt, createdAt, updatedAt};
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
