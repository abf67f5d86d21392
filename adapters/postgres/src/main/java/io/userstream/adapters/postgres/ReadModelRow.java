package io.userstream.adapters.postgres;

import io.userstream.application.port.out.RecordedUserEvent;
import io.userstream.domain.user.UserEvent;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * One row of {@code user_read_model} in memory, while a batch is folded onto it: read once, changed by
 * each of the batch's events of its user in order, written once. The fold is the projection's whole logic;
 * the SQL around it only moves rows in and out in bulk.
 */
final class ReadModelRow {

    private static final String COLUMNS =
            "id, email, username, first_name, last_name, avatar_url, status, created_at, last_updated, deleted_at, version";

    final UUID id;
    String email;
    String username;
    String firstName;
    String lastName;
    String avatarUrl;
    String status;
    Instant createdAt;
    Instant lastUpdated;
    Instant deletedAt;
    long version;
    /** The user was erased: the projection deletes its row instead of writing it. */
    boolean erased;

    private ReadModelRow(UUID id) {
        this.id = id;
    }

    /**
     * The row after {@code recorded}; {@code row} is null before the user's first event. An event at or
     * below the row's version was applied before and changes nothing (idempotence).
     */
    static ReadModelRow fold(ReadModelRow row, RecordedUserEvent recorded) {
        UserEvent event = recorded.event();
        if (row != null && recorded.version() <= row.version) {
            return row;
        }
        if (row == null) {
            if (!(event instanceof UserEvent.UserCreated)) {
                throw new IllegalStateException("user " + event.userId() + " has no row, so event version "
                        + recorded.version() + " (" + event.getClass().getSimpleName() + ") cannot be applied");
            }
            row = new ReadModelRow(event.userId().value());
        }
        Instant at = event.occurredAt();
        switch (event) {
            case UserEvent.UserCreated created -> {
                row.email = created.email().value();
                row.username = created.username().value();
                row.firstName = created.profile().firstName();
                row.lastName = created.profile().lastName();
                row.avatarUrl = created.profile().avatarUrl();
                row.status = "ACTIVE";
                row.createdAt = at;
                row.deletedAt = null;
            }
            case UserEvent.EmailChanged changed -> row.email = changed.newEmail().value();
            case UserEvent.PasswordChanged changed -> {
                // Not in the read model; the row's version and last_updated still move.
            }
            case UserEvent.ProfileUpdated updated -> {
                row.firstName = updated.profile().firstName();
                row.lastName = updated.profile().lastName();
                row.avatarUrl = updated.profile().avatarUrl();
            }
            case UserEvent.UserActivated activated -> row.status = "ACTIVE";
            case UserEvent.UserDeactivated deactivated -> row.status = "INACTIVE";
            case UserEvent.UserDeleted deleted -> {
                row.status = "DELETED";
                row.deletedAt = at;
            }
            case UserEvent.UserErased erased -> {
                row.status = "DELETED";
                row.erased = true;
            }
        }
        row.lastUpdated = at;
        row.version = recorded.version();
        return row;
    }

    /** The rows of {@code table} for {@code ids} that exist, in one statement. */
    static Map<UUID, ReadModelRow> load(Connection tx, String table, List<UUID> ids) throws SQLException {
        Map<UUID, ReadModelRow> rows = new HashMap<>();
        if (ids.isEmpty()) {
            return rows;
        }
        try (PreparedStatement select = tx.prepareStatement(
                "SELECT " + COLUMNS + " FROM " + table + " WHERE id = ANY (?)")) {
            select.setArray(1, tx.createArrayOf("uuid", ids.toArray()));
            try (ResultSet result = select.executeQuery()) {
                while (result.next()) {
                    ReadModelRow row = new ReadModelRow(result.getObject(1, UUID.class));
                    row.email = result.getString(2);
                    row.username = result.getString(3);
                    row.firstName = result.getString(4);
                    row.lastName = result.getString(5);
                    row.avatarUrl = result.getString(6);
                    row.status = result.getString(7);
                    row.createdAt = instant(result.getTimestamp(8));
                    row.lastUpdated = instant(result.getTimestamp(9));
                    row.deletedAt = instant(result.getTimestamp(10));
                    row.version = result.getLong(11);
                    rows.put(row.id, row);
                }
            }
        }
        return rows;
    }

    /**
     * Writes {@code rows} with one multi-row upsert: one array per column, unnested into rows. A row only
     * replaces one at a lower version, so writing the same batch twice changes nothing.
     */
    static void upsert(Connection tx, String table, List<ReadModelRow> rows) throws SQLException {
        if (rows.isEmpty()) {
            return;
        }
        int n = rows.size();
        Object[] ids = new Object[n];
        Object[] emails = new Object[n];
        Object[] usernames = new Object[n];
        Object[] firstNames = new Object[n];
        Object[] lastNames = new Object[n];
        Object[] avatars = new Object[n];
        Object[] statuses = new Object[n];
        Object[] created = new Object[n];
        Object[] updated = new Object[n];
        Object[] deleted = new Object[n];
        Object[] versions = new Object[n];
        for (int i = 0; i < n; i++) {
            ReadModelRow row = rows.get(i);
            ids[i] = row.id;
            emails[i] = row.email;
            usernames[i] = row.username;
            firstNames[i] = row.firstName;
            lastNames[i] = row.lastName;
            avatars[i] = row.avatarUrl;
            statuses[i] = row.status;
            // ISO-8601 instants with their "Z": parsed the same whatever the session's time zone.
            created[i] = row.createdAt.toString();
            updated[i] = row.lastUpdated.toString();
            deleted[i] = row.deletedAt == null ? null : row.deletedAt.toString();
            versions[i] = row.version;
        }
        try (PreparedStatement upsert = tx.prepareStatement("INSERT INTO " + table + " AS t (" + COLUMNS + ")"
                + " SELECT * FROM unnest(?::uuid[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[],"
                + " ?::timestamptz[], ?::timestamptz[], ?::timestamptz[], ?::bigint[])"
                + " ON CONFLICT (id) DO UPDATE SET email = EXCLUDED.email, username = EXCLUDED.username,"
                + " first_name = EXCLUDED.first_name, last_name = EXCLUDED.last_name, avatar_url = EXCLUDED.avatar_url,"
                + " status = EXCLUDED.status, created_at = EXCLUDED.created_at, last_updated = EXCLUDED.last_updated,"
                + " deleted_at = EXCLUDED.deleted_at, version = EXCLUDED.version"
                + " WHERE t.version < EXCLUDED.version")) {
            upsert.setArray(1, tx.createArrayOf("uuid", ids));
            upsert.setArray(2, tx.createArrayOf("text", emails));
            upsert.setArray(3, tx.createArrayOf("text", usernames));
            upsert.setArray(4, tx.createArrayOf("text", firstNames));
            upsert.setArray(5, tx.createArrayOf("text", lastNames));
            upsert.setArray(6, tx.createArrayOf("text", avatars));
            upsert.setArray(7, tx.createArrayOf("text", statuses));
            upsert.setArray(8, tx.createArrayOf("timestamptz", created));
            upsert.setArray(9, tx.createArrayOf("timestamptz", updated));
            upsert.setArray(10, tx.createArrayOf("timestamptz", deleted));
            upsert.setArray(11, tx.createArrayOf("int8", versions));
            upsert.executeUpdate();
        }
    }

    private static Instant instant(Timestamp timestamp) {
        return timestamp == null ? null : timestamp.toInstant();
    }
}
