package io.userstream.adapters.postgres;

import io.userstream.application.port.out.UserStatsStore;
import io.userstream.domain.stats.StatsStatus;
import io.userstream.domain.stats.UserStats;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;

/**
 * {@link UserStatsStore} on user-stats-service's tables {@code user_stats} and {@code processed_events}
 * (the inbox), in the same database so that an event's inbox entry and its effect commit together.
 * Each method is one statement on a primary key.
 */
public final class PostgresUserStatsStore implements UserStatsStore {

    private static final String COLUMNS = """
            user_id, status, member_since, profile_updates, email_changes, password_changes, last_activity_at, \
            last_event_version, repaired_at, created_at, updated_at""";

    private static final String VALUES = "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

    private static final String FIND = "SELECT " + COLUMNS + " FROM user_stats WHERE user_id = ?";

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
    private static final String MARK_PROCESSED = "INSERT INTO processed_events (event_id) VALUES (?) "
            + "ON CONFLICT (event_id) DO NOTHING";

    private final DataSource dataSource;

    public PostgresUserStatsStore(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    @Override
    public Optional<UserStats> find(UUID userId) {
        try (Connection connection = dataSource.getConnection()) {
            return select(connection, FIND, userId);
        } catch (SQLException e) {
            throw DatabaseException.of("cannot read the stats of user " + userId, e);
        }
    }

    @Override
    public boolean insertIfAbsent(UserStats stats) {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement insert = connection.prepareStatement(INSERT_IF_ABSENT)) {
            bind(insert, stats);
            return insert.executeUpdate() == 1;
        } catch (SQLException e) {
            throw DatabaseException.of("cannot insert the stats of user " + stats.userId(), e);
        }
    }

    @Override
    public <T> T inTransaction(Function<StatsTransaction, T> work) {
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            JdbcTransaction transaction = new JdbcTransaction(connection);
            try {
                T result = work.apply(transaction);
                transaction.open = false;
                connection.commit();
                return result;
            } catch (SQLException | RuntimeException | Error e) {
                transaction.open = false;
                Transactions.rollbackQuietly(connection);
                throw e;
            }
        } catch (SQLException e) {
            throw DatabaseException.of("cannot run a transaction on the stats", e);
        }
    }

    /** One transaction's statements, all on its one connection. */
    private static final class JdbcTransaction implements StatsTransaction {

        private final Connection connection;
        private boolean open = true;

        JdbcTransaction(Connection connection) {
            this.connection = connection;
        }

        @Override
        public boolean markProcessed(UUID eventId) {
            requireOpen();
            try (PreparedStatement insert = connection.prepareStatement(MARK_PROCESSED)) {
                insert.setObject(1, eventId);
                return insert.executeUpdate() == 1;
            } catch (SQLException e) {
                throw DatabaseException.of("cannot record event " + eventId + " as processed", e);
            }
        }

        @Override
        public Optional<UserStats> lockStats(UUID userId) {
            requireOpen();
            try {
                return select(connection, LOCK, userId);
            } catch (SQLException e) {
                throw DatabaseException.of("cannot lock the stats of user " + userId, e);
            }
        }

        @Override
        public void save(UserStats stats) {
            requireOpen();
            try (PreparedStatement upsert = connection.prepareStatement(UPSERT)) {
                bind(upsert, stats);
                upsert.executeUpdate();
            } catch (SQLException e) {
                throw DatabaseException.of("cannot save the stats of user " + stats.userId(), e);
            }
        }

        private void requireOpen() {
            if (!open) {
                throw new IllegalStateException("the transaction has ended; use the stats transaction only inside its work");
            }
        }
    }

    private static Optional<UserStats> select(Connection connection, String sql, UUID userId) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(sql)) {
            select.setObject(1, userId);
            try (ResultSet rows = select.executeQuery()) {
                return rows.next() ? Optional.of(stats(rows)) : Optional.empty();
            }
        }
    }

    private static void bind(PreparedStatement statement, UserStats stats) throws SQLException {
        statement.setObject(1, stats.userId());
        statement.setString(2, stats.status().name());
        statement.setTimestamp(3, Timestamp.from(stats.memberSince()));
        statement.setLong(4, stats.profileUpdates());
        statement.setLong(5, stats.emailChanges());
        statement.setLong(6, stats.passwordChanges());
        statement.setTimestamp(7, Timestamp.from(stats.lastActivityAt()));
        statement.setLong(8, stats.lastEventVersion());
        statement.setTimestamp(9, stats.repairedAt() == null ? null : Timestamp.from(stats.repairedAt()));
        statement.setTimestamp(10, Timestamp.from(stats.createdAt()));
        statement.setTimestamp(11, Timestamp.from(stats.updatedAt()));
    }

    private static UserStats stats(ResultSet rows) throws SQLException {
        return new UserStats(
                rows.getObject("user_id", UUID.class),
                status(rows.getString("status")),
                instant(rows.getTimestamp("member_since")),
                rows.getLong("profile_updates"),
                rows.getLong("email_changes"),
                rows.getLong("password_changes"),
                instant(rows.getTimestamp("last_activity_at")),
                rows.getLong("last_event_version"),
                instant(rows.getTimestamp("repaired_at")),
                instant(rows.getTimestamp("created_at")),
                instant(rows.getTimestamp("updated_at")));
    }

    private static Instant instant(Timestamp timestamp) {
        return timestamp == null ? null : timestamp.toInstant();
    }

    private static StatsStatus status(String stored) {
        try {
            return StatsStatus.valueOf(stored);
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IllegalStateException("user_stats holds an unknown status " + stored, e);
        }
    }
}
