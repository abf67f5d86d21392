package io.userstream.adapters.postgres;

import io.helidon.dbclient.DbClient;
import io.helidon.dbclient.DbRow;
import io.userstream.application.port.out.UserPage;
import io.userstream.application.port.out.UserReadModel;
import io.userstream.application.view.UserView;
import io.userstream.domain.user.UserId;
import io.userstream.domain.user.UserStatus;

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

    /** The point read by id; the one parameter is the id's {@link UUID}. */
    static final String BY_ID = "SELECT " + COLUMNS + " FROM user_read_model WHERE id = ?::uuid";

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

    private final Db db;

    /** @param dbClient the DbClient of the user-service database, e.g. {@link PostgresDatabase#dbClient()} */
    public PostgresUserReadModel(DbClient dbClient) {
        this.db = new Db(dbClient);
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
        after.ifPresent(ignored -> conditions.add("id > ?::uuid"));
        String sql = "SELECT " + COLUMNS + " FROM user_read_model"
                + (conditions.isEmpty() ? "" : " WHERE " + String.join(" AND ", conditions))
                + " ORDER BY id LIMIT ?";
        List<Object> params = new ArrayList<>();
        status.ifPresent(value -> params.add(value.name()));
        after.ifPresent(params::add);
        // One row more than asked for tells whether another page follows.
        params.add(limit + 1);
        List<UserView> users = db.execute("list users from the read model", exec -> {
            try (var rows = exec.query(sql, params.toArray())) {
                return rows.map(PostgresUserReadModel::view).toList();
            }
        });
        boolean hasMore = users.size() > limit;
        return new UserPage(hasMore ? users.subList(0, limit) : users, hasMore);
    }

    private Optional<UserView> findOne(String sql, Object key, String what) {
        return db.execute("read " + what + " from the read model",
                exec -> exec.get(sql, key).map(PostgresUserReadModel::view));
    }

    private static UserView view(DbRow row) {
        return new UserView(
                new UserId(Db.uuid(row, "id")),
                Db.text(row, "email"),
                Db.text(row, "username"),
                Db.text(row, "first_name"),
                Db.text(row, "last_name"),
                Db.text(row, "avatar_url"),
                status(Db.text(row, "status")),
                Db.instant(row, "created_at"),
                Db.instant(row, "last_updated"),
                Db.instant(row, "deleted_at"),
                Db.int8(row, "version"));
    }

    /** The stored status as the enum; package-private for the DbClient-cost benchmark's baseline. */
    static UserStatus status(String stored) {
        try {
            return UserStatus.valueOf(stored);
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IllegalStateException("user_read_model holds an unknown status " + stored, e);
        }
    }
}
