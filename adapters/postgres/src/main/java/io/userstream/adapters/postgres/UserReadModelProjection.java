package io.userstream.adapters.postgres;

import io.userstream.application.port.out.RecordedUserEvent;
import io.userstream.domain.user.UserEvent;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.UUID;

/**
 * Keeps {@code user_read_model}: one row per user with the columns the guide names, plus the stream
 * version the row reflects. Every update is guarded by {@code version < event version}, so applying
 * an event twice (a replay, a redelivery after a crash) changes nothing.
 */
final class UserReadModelProjection implements Projection {

    static final String NAME = "user_read_model";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String table() {
        return "user_read_model";
    }

    @Override
    public void apply(Connection tx, String table, RecordedUserEvent recorded) throws SQLException {
        long version = recorded.version();
        UUID id = recorded.event().userId().value();
        Timestamp at = Timestamp.from(recorded.event().occurredAt());
        switch (recorded.event()) {
            case UserEvent.UserCreated created -> {
                try (PreparedStatement insert = tx.prepareStatement("INSERT INTO " + table
                        + " (id, email, username, first_name, last_name, avatar_url, status, created_at, last_updated,"
                        + " deleted_at, version) VALUES (?, ?, ?, ?, ?, ?, 'ACTIVE', ?, ?, NULL, ?)"
                        + " ON CONFLICT (id) DO NOTHING")) {
                    insert.setObject(1, id);
                    insert.setString(2, created.email().value());
                    insert.setString(3, created.username().value());
                    insert.setString(4, created.profile().firstName());
                    insert.setString(5, created.profile().lastName());
                    insert.setString(6, created.profile().avatarUrl());
                    insert.setTimestamp(7, at);
                    insert.setTimestamp(8, at);
                    insert.setLong(9, version);
                    insert.executeUpdate();
                }
            }
            case UserEvent.EmailChanged changed -> update(tx, table, id, version, at, "email = ?", changed.newEmail().value());
            case UserEvent.PasswordChanged changed -> update(tx, table, id, version, at, null);
            case UserEvent.ProfileUpdated updated -> update(tx, table, id, version, at,
                    "first_name = ?, last_name = ?, avatar_url = ?", updated.profile().firstName(),
                    updated.profile().lastName(), updated.profile().avatarUrl());
            case UserEvent.UserActivated activated -> update(tx, table, id, version, at, "status = 'ACTIVE'");
            case UserEvent.UserDeactivated deactivated -> update(tx, table, id, version, at, "status = 'INACTIVE'");
            case UserEvent.UserDeleted deleted -> update(tx, table, id, version, at, "status = 'DELETED', deleted_at = ?",
                    at);
        }
    }

    @Override
    public void forget(Connection tx, String table, UUID streamId) throws SQLException {
        try (PreparedStatement delete = tx.prepareStatement("DELETE FROM " + table + " WHERE id = ?")) {
            delete.setObject(1, streamId);
            delete.executeUpdate();
        }
    }

    private static void update(Connection tx, String table, UUID id, long version, Timestamp at, String assignments,
                               Object... values) throws SQLException {
        String sql = "UPDATE " + table + " SET " + (assignments == null ? "" : assignments + ", ")
                + "last_updated = ?, version = ? WHERE id = ? AND version < ?";
        int updated;
        try (PreparedStatement statement = tx.prepareStatement(sql)) {
            int p = 1;
            for (Object value : values) {
                statement.setObject(p++, value);
            }
            statement.setTimestamp(p++, at);
            statement.setLong(p++, version);
            statement.setObject(p++, id);
            statement.setLong(p, version);
            updated = statement.executeUpdate();
        }
        if (updated == 0) {
            long stored = storedVersion(tx, table, id);
            if (stored < version) {
                // Not idempotence (that would be stored >= version): either the user's UserCreated was never
                // applied (parked?), or a concurrent replay replaced the row under us. Fail, so the event is
                // retried and, if it keeps failing, parked for an operator instead of silently lost.
                throw new IllegalStateException("user " + id + " is at version " + stored + " in " + table
                        + ", so event version " + version + " cannot be applied yet");
            }
        }
    }

    /** The version the row reflects, or 0 if there is no row. */
    private static long storedVersion(Connection tx, String table, UUID id) throws SQLException {
        try (PreparedStatement select = tx.prepareStatement("SELECT version FROM " + table + " WHERE id = ?")) {
            select.setObject(1, id);
            try (var rows = select.executeQuery()) {
                return rows.next() ? rows.getLong(1) : 0;
            }
        }
    }
}
