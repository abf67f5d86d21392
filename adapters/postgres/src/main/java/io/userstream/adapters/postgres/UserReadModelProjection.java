package io.userstream.adapters.postgres;

import io.userstream.application.port.out.RecordedUserEvent;
import io.userstream.application.view.ProjectionVerification;
import io.userstream.domain.user.UserEvent;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.logging.Logger;

/**
 * Keeps {@code user_read_model}: one row per user with the columns the guide names, plus the stream
 * version the row reflects. A batch is folded per user in memory ({@link ReadModelRow}) and written with
 * one set-based upsert guarded by {@code version < new version}, so applying an event twice (a replay, a
 * redelivery after a crash) changes nothing.
 */
final class UserReadModelProjection implements Projection {

    static final String NAME = "user_read_model";

    private static final Logger LOG = Logger.getLogger(UserReadModelProjection.class.getName());

    private final EventLog log = new EventLog();
    private final UserEventCodec codec;

    /** For data keys stored as they are (no master key). */
    UserReadModelProjection() {
        this(new UserEventCodec());
    }

    /** @param codec decodes the log's events, with the database's way of storing data keys */
    UserReadModelProjection(UserEventCodec codec) {
        this.codec = codec;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String table() {
        return "user_read_model";
    }

    /** One event: the batch path with a batch of one, so both paths are the same code. */
    @Override
    public void apply(Connection tx, String table, RecordedUserEvent recorded) throws SQLException {
        applyBatch(tx, table, List.of(recorded));
    }

    /**
     * Folds the batch per user in memory, onto the users' current rows, and writes the result with one
     * multi-row upsert: at most three statements per batch, whatever its size (read the rows the batch
     * changes, repair from the log any that should exist and do not, write). The version guard stays in
     * the SQL, so applying a batch again changes nothing.
     */
    @Override
    public void applyBatch(Connection tx, String table, List<RecordedUserEvent> events) throws SQLException {
        Map<UUID, List<RecordedUserEvent>> byUser = new LinkedHashMap<>();
        for (RecordedUserEvent event : events) {
            byUser.computeIfAbsent(event.event().userId().value(), id -> new ArrayList<>()).add(event);
        }
        // Only users whose batch does not open with their UserCreated need their row read.
        List<UUID> existing = byUser.entrySet().stream()
                .filter(user -> !(user.getValue().getFirst().event() instanceof UserEvent.UserCreated))
                .map(Map.Entry::getKey).toList();
        Map<UUID, ReadModelRow> rows = ReadModelRow.load(tx, table, existing);
        List<UUID> missing = existing.stream().filter(id -> !rows.containsKey(id)).toList();
        if (!missing.isEmpty()) {
            rows.putAll(repairFromTheLog(tx, table, missing, byUser));
        }
        List<ReadModelRow> changed = new ArrayList<>();
        for (Map.Entry<UUID, List<RecordedUserEvent>> user : byUser.entrySet()) {
            ReadModelRow row = rows.get(user.getKey());
            long before = row == null ? 0 : row.version;
            for (RecordedUserEvent event : user.getValue()) {
                row = ReadModelRow.fold(row, event);
            }
            if (row.version > before) {
                changed.add(row);
            }
        }
        // An erased user leaves the read model: its row is deleted, never written with what is left of it.
        List<UUID> erased = changed.stream().filter(row -> row.erased).map(row -> row.id).toList();
        ReadModelRow.upsert(tx, table, changed.stream().filter(row -> !row.erased).toList());
        if (!erased.isEmpty()) {
            try (PreparedStatement delete = tx.prepareStatement("DELETE FROM " + table + " WHERE id = ANY (?)")) {
                delete.setArray(1, tx.createArrayOf("uuid", erased.toArray()));
                delete.executeUpdate();
            }
        }
    }

    @Override
    public void forget(Connection tx, String table, UUID streamId) throws SQLException {
        try (PreparedStatement delete = tx.prepareStatement("DELETE FROM " + table + " WHERE id = ?")) {
            delete.setObject(1, streamId);
            delete.executeUpdate();
        }
    }

    /**
     * Rows for users that have events in the batch (none of them a UserCreated first) but no row in
     * {@code table}, folded from their streams' earlier events in the log. Those events are committed (the
     * batch's events could only be appended after them), so this is what the table should already hold.
     * It never happens when every event was applied as the subscription passed it: say so loudly. A user
     * whose earlier events are not in the log either has events that cannot be applied: throw, so the
     * event is isolated, retried and parked.
     */
    private Map<UUID, ReadModelRow> repairFromTheLog(Connection tx, String table, List<UUID> missing,
                                                     Map<UUID, List<RecordedUserEvent>> byUser) throws SQLException {
        Map<UUID, ReadModelRow> repaired = new LinkedHashMap<>();
        Map<UUID, List<LoggedEvent>> streams = log.streams(tx, missing);
        for (UUID id : missing) {
            long first = byUser.get(id).getFirst().version();
            List<LoggedEvent> earlier = streams.getOrDefault(id, List.of()).stream()
                    .filter(event -> event.version() < first).toList();
            if (earlier.isEmpty() || earlier.getFirst().version() != 1 || earlier.getLast().version() != first - 1) {
                throw new IllegalStateException("user " + id + " has no row in " + table + ", so event version " + first
                        + " cannot be applied, and the log lacks the versions before it");
            }
            ReadModelRow row = null;
            for (LoggedEvent event : earlier) {
                row = ReadModelRow.fold(row, event.decode(codec));
            }
            repaired.put(id, row);
            LOG.warning(() -> "user " + id + " had no row in " + table + " when event version " + first
                    + " arrived; applied versions 1.." + (first - 1) + " from the log (transaction/position "
                    + earlier.stream().map(e -> e.checkpoint().toString()).toList()
                    + "). An event was passed without being applied: please report this with the log.");
        }
        return repaired;
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
        return Optional.of(new UserReadModelVerifier(codec).verify(snapshot, table, checkpoint, limit));
    }
}
