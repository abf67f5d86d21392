package io.userstream.adapters.postgres;

import io.userstream.application.port.out.UserPage;
import io.userstream.application.port.out.UserReadModel;
import io.userstream.application.view.UserView;
import io.userstream.domain.user.UserId;
import io.userstream.domain.user.UserStatus;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * {@link UserReadModel} on the {@code user_read_model} table, which the projection keeps up to date.
 * Only reads, each one statement on an index: the primary key, {@code lower(email)}, {@code username}
 * or {@code (status, id)}.
 */
public final class PostgresUserReadModel implements UserReadModel {

    private static final String COLUMNS = """
            id, email, username, first_name, last_name, avatar_url, status, created_at, last_updated, \
            deleted_at, version""";

    private static final String BY_ID = "SELECT " + COLUMNS + " FROM user_read_model WHERE id = ?";

    // The table has no unique constraint on addresses (a deleted user keeps its row); should a lagging
    // projection ever show two holders, the one changed last answers, the same one every time.
    private static final String BY_EMAIL = "SELECT " + COLUMNS + """
             FROM user_read_model
            WHERE lower(email) = ? AND status <> 'DELETED'
            ORDER BY last_updated DESC, id
            LIMIT 1""";

    private static final String BY_USERNAME = "SELECT " + COLUMNS + """
             FROM user_read_model
            WHERE username = ? AND status <> 'DELETED'
            ORDER BY last_updated DESC, id
            LIMIT 1""";

    private final DataSource dataSource;

    public PostgresUserReadModel(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    @Override
    public Optional<UserView> findById(UserId id) {
        return findOne(BY_ID, id.value(), "user " + id);
    }

    @Override
    public Optional<UserView> findByEmail(String emailKey) {
        return findOne(BY_EMAIL, emailKey, "the holder of an e-mail address");
    }

    @Override
    public Optional<UserView> findByUsername(String username) {
        return findOne(BY_USERNAME, username, "the holder of username " + username);
    }

    @Override
    public UserPage list(Optional<UUID> after, int limit, Optional<UserStatus> status) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be at least 1, not " + limit);
        }
        // One statement per combination of filters rather than "? IS NULL OR ..." so that each one
        // is a plain range scan on an index: the primary key, or (status, id) with a status.
        List<String> conditions = new ArrayList<>();
        status.ifPresent(ignored -> conditions.add("status = ?"));
        after.ifPresent(ignored -> conditions.add("id > ?"));
        String sql = "SELECT " + COLUMNS + " FROM user_read_model"
                + (conditions.isEmpty() ? "" : " WHERE " + String.join(" AND ", conditions))
                + " ORDER BY id LIMIT ?";
        try (Connection connection = dataSource.getConnection();
             PreparedStatement statement = connection.prepareStatement(sql)) {
            int p = 1;
            if (status.isPresent()) {
                statement.setString(p++, status.get().name());
            }
            if (after.isPresent()) {
                statement.setObject(p++, after.get());
            }
            // One row more than asked for tells whether another page follows.
            statement.setInt(p, limit + 1);
            List<UserView> users = new ArrayList<>();
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    users.add(view(rows));
                }
            }
            boolean hasMore = users.size() > limit;
            return new UserPage(hasMore ? users.subList(0, limit) : users, hasMore);
        } catch (SQLException e) {
            throw DatabaseException.of("cannot list users from the read model", e);
        }
    }

    private Optional<UserView> findOne(String sql, Object key, String what) {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setObject(1, key);
            try (ResultSet rows = statement.executeQuery()) {
                return rows.next() ? Optional.of(view(rows)) : Optional.empty();
            }
        } catch (SQLException e) {
            throw DatabaseException.of("cannot read " + what + " from the read model", e);
        }
    }

    private static UserView view(ResultSet rows) throws SQLException {
        Timestamp deletedAt = rows.getTimestamp("deleted_at");
        return new UserView(
                new UserId(rows.getObject("id", UUID.class)),
                rows.getString("email"),
                rows.getString("username"),
                rows.getString("first_name"),
                rows.getString("last_name"),
                rows.getString("avatar_url"),
                status(rows.getString("status")),
                rows.getTimestamp("created_at").toInstant(),
                rows.getTimestamp("last_updated").toInstant(),
                deletedAt == null ? null : deletedAt.toInstant(),
                rows.getLong("version"));
    }

    private static UserStatus status(String stored) {
        try {
            return UserStatus.valueOf(stored);
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IllegalStateException("user_read_model holds an unknown status " + stored, e);
        }
    }
}
