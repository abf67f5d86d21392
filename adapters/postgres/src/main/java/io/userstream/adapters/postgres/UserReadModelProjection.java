package io.userstream.adapters.postgres;

import io.userstream.application.port.out.RecordedUserEvent;
import io.userstream.application.view.ProjectionVerification;
import io.userstream.domain.user.UserEvent;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.logging.Logger;

/**
 * Keeps {@code user_read_model}: one row per user with the columns the guide names, plus the stream
 * version the row reflects. Every update is guarded by {@code version < event version}, so applying
 * an event twice (a replay, a redelivery after a crash) changes nothing.
 */
final class UserReadModelProjection implements Projection {

    static final String NAME = "user_read_model";

    private static final Logger LOG = Logger.getLogger(UserReadModelProjection.class.getName());

    private final EventLog log = new EventLog();
    private final UserEventCodec codec = new UserEventCodec();

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

    private void update(Connection tx, String table, UUID id, long version, Timestamp at, String assignments,
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
                // Not idempotence (that would be stored >= version): the row is missing, although the log
                // holds the stream's earlier events. The log is the truth: apply them from it, say so loudly
                // (it means an event was not applied when the subscription passed it), and only if that
                // fails too (e.g. the UserCreated itself cannot be applied) let the event fail and park.
                repairFromTheLog(tx, table, id, stored, version);
                update(tx, table, id, version, at, assignments, values);
            }
        }
    }

    /**
     * Applies the stream's events after {@code stored} and before {@code version} to {@code table}, in
     * the caller's transaction. They are committed (the event at {@code version} could only be appended
     * after them), so this is the fold the table should already hold.
     */
    private void repairFromTheLog(Connection tx, String table, UUID id, long stored, long version)
            throws SQLException {
        List<LoggedEvent> missing = log.stream(tx, id).stream()
                .filter(event -> event.version() > stored && event.version() < version).toList();
        if (missing.isEmpty() || missing.getFirst().version() != stored + 1) {
            throw new IllegalStateException("user " + id + " is at version " + stored + " in " + table
                    + ", so event version " + version + " cannot be applied, and the log lacks the versions between");
        }
        LOG.warning(() -> "user " + id + " was at version " + stored + " in " + table + " when event version "
                + version + " arrived; applied versions " + missing.getFirst().version() + ".." + missing.getLast().version()
                + " from the log (transaction/position " + missing.stream().map(e -> e.checkpoint().toString()).toList()
                + "). An event was passed without being applied: please report this with the log.");
        for (LoggedEvent event : missing) {
            apply(tx, table, event.decode(codec));
        }
    }

    /**
     * How many users the {@code shadow} table holds at an older version than {@code live} (or not at
     * all). A rebuilt shadow that has read at least as far as the live table must hold none.
     */
    @Override
    public long rowsBehind(Connection tx, String live, String shadow) throws SQLException {
        try (PreparedStatement count = tx.prepareStatement("SELECT count(*) FROM " + live + " l LEFT JOIN " + shadow
                + " s ON s.id = l.id WHERE s.id IS NULL OR s.version < l.version");
             var row = count.executeQuery()) {
            row.next();
            return row.getLong(1);
        }
    }

    /** Compares each row with the fold of its user's stream ({@link UserReadModelVerifier}). */
    @Override
    public Optional<ProjectionVerification> verify(Connection snapshot, String table, Checkpoint checkpoint, int limit)
            throws SQLException {
        return Optional.of(new UserReadModelVerifier().verify(snapshot, table, checkpoint, limit));
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
