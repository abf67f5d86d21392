package io.userstream.adapters.postgres;

import io.userstream.application.view.ProjectionVerification;
import io.userstream.application.view.ProjectionVerification.DifferenceKind;
import io.userstream.application.view.ProjectionVerification.FieldDifference;
import io.userstream.application.view.ProjectionVerification.UserDifference;
import io.userstream.domain.user.User;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * Compares a {@code user_read_model} table with the fold ({@link User#fromHistory}) of every stream,
 * in one pass: the log is streamed in {@code stream_id} order and the table in {@code id} order, and
 * the two are merge-joined, so the cost is two sequential reads whatever the number of users, and
 * memory holds one stream at a time. Runs in the caller's read-only snapshot, which must also be
 * the one the checkpoint was read in: the table then reflects exactly the events up to it.
 */
final class UserReadModelVerifier {

    /** Rows fetched per round trip from each of the two cursors. */
    static final int FETCH_SIZE = 5000;

    private final EventLog log = new EventLog();
    private final UserEventCodec codec;

    UserReadModelVerifier(UserEventCodec codec) {
        this.codec = codec;
    }

    /**
     * Verifies {@code table} against the log up to {@code checkpoint}; lists up to {@code limit}
     * differing users. The connection must be in a transaction (the cursors stream only then).
     */
    ProjectionVerification verify(Connection snapshot, String table, Checkpoint checkpoint, int limit)
            throws SQLException {
        // Ordered by the uuid column, like the log: both then follow PostgreSQL's (bytewise) uuid order.
        try (PreparedStatement select = snapshot.prepareStatement("SELECT id, email, username, first_name,"
                + " last_name, avatar_url, status, created_at, last_updated, deleted_at, version FROM " + table
                + " ORDER BY id")) {
            select.setFetchSize(FETCH_SIZE);
            try (ResultSet rows = select.executeQuery()) {
                Merge merge = new Merge(rows, checkpoint, limit);
                log.scanByStream(snapshot, FETCH_SIZE, merge::accept);
                merge.finish();
                return new ProjectionVerification(checkpoint.toString(), merge.checked, merge.differing,
                        merge.skipped, merge.differences);
            }
        }
    }

    /** The state of one merge-join of the log with the table. */
    private final class Merge {

        private final ResultSet rows;
        private final Checkpoint checkpoint;
        private final int limit;
        private final List<LoggedEvent> stream = new ArrayList<>();
        private final List<UserDifference> differences = new ArrayList<>();
        /** Whether {@link #rows} stands on a row not yet matched. */
        private boolean onRow;
        private long checked;
        private long differing;
        private long skipped;

        Merge(ResultSet rows, Checkpoint checkpoint, int limit) throws SQLException {
            this.rows = rows;
            this.checkpoint = checkpoint;
            this.limit = limit;
            this.onRow = rows.next();
        }

        void accept(LoggedEvent event) throws SQLException {
            if (!stream.isEmpty() && !stream.getFirst().streamId().equals(event.streamId())) {
                finishStream();
            }
            stream.add(event);
        }

        void finish() throws SQLException {
            if (!stream.isEmpty()) {
                finishStream();
            }
            while (onRow) {
                rowWithoutStream();
            }
        }

        private void finishStream() throws SQLException {
            UUID id = stream.getFirst().streamId();
            while (onRow && compareAsPostgres(rowId(), id) < 0) {
                rowWithoutStream();
            }
            boolean hasRow = onRow && rowId().equals(id);
            // Versions ascend but (transaction, position) need not: any event of the stream may be the late one.
            if (stream.stream().allMatch(event -> checkpoint.hasReached(event.checkpoint()))) {
                checked++;
                compare(id, hasRow);
            } else {
                skipped++;
            }
            if (hasRow) {
                onRow = rows.next();
            }
            stream.clear();
        }

        private void compare(UUID id, boolean hasRow) throws SQLException {
            User expected;
            try {
                expected = User.fromHistory(stream.stream().map(event -> event.decode(codec).event()).toList());
            } catch (RuntimeException e) {
                // The projection could not have applied it either (it parks such events): say so, keep going.
                report(new UserDifference(id, DifferenceKind.HISTORY_UNREADABLE, List.of()));
                return;
            }
            if (expected.erased()) {
                // An erased user has no row: absence is agreement.
                if (hasRow) {
                    report(new UserDifference(id, DifferenceKind.ERASED_BUT_PRESENT, List.of()));
                }
                return;
            }
            if (!hasRow) {
                report(new UserDifference(id, DifferenceKind.ROW_MISSING, List.of()));
                return;
            }
            List<FieldDifference> fields = new ArrayList<>();
            personal(fields, "email", expected.email().value());
            plain(fields, "username", expected.username().value(), rows.getString("username"));
            personal(fields, "first_name", expected.profile().firstName());
            personal(fields, "last_name", expected.profile().lastName());
            personal(fields, "avatar_url", expected.profile().avatarUrl());
            plain(fields, "status", expected.status().name(), rows.getString("status"));
            plain(fields, "created_at", String.valueOf(expected.createdAt()), instant("created_at"));
            plain(fields, "last_updated", String.valueOf(expected.updatedAt()), instant("last_updated"));
            plain(fields, "deleted_at", String.valueOf(expected.deletedAt()), instant("deleted_at"));
            // The row's version is the stream version of its last event, as the projection stores it.
            plain(fields, "version", Long.toString(stream.getLast().version()), Long.toString(rows.getLong("version")));
            if (!fields.isEmpty()) {
                report(new UserDifference(id, DifferenceKind.FIELDS_DIFFER, fields));
            }
        }

        /** Personal data is compared but its values never leave: admin output stays free of it. */
        private void personal(List<FieldDifference> fields, String column, String expected) throws SQLException {
            if (!Objects.equals(expected, rows.getString(column))) {
                fields.add(new FieldDifference(column, true, "", ""));
            }
        }

        private static void plain(List<FieldDifference> fields, String column, String expected, String actual) {
            if (!Objects.equals(expected, actual)) {
                fields.add(new FieldDifference(column, false, expected, actual));
            }
        }

        private String instant(String column) throws SQLException {
            Timestamp value = rows.getTimestamp(column);
            return String.valueOf(value == null ? null : value.toInstant());
        }

        private void rowWithoutStream() throws SQLException {
            checked++;
            report(new UserDifference(rowId(), DifferenceKind.ROW_WITHOUT_STREAM, List.of()));
            onRow = rows.next();
        }

        private UUID rowId() throws SQLException {
            return rows.getObject("id", UUID.class);
        }

        private void report(UserDifference difference) {
            differing++;
            if (differences.size() < limit) {
                differences.add(difference);
            }
        }
    }

    /**
     * PostgreSQL's uuid order: bytewise, i.e. both halves unsigned. {@link UUID#compareTo} compares them
     * signed, and would break the merge for ids whose first bit is set.
     */
    static int compareAsPostgres(UUID a, UUID b) {
        int high = Long.compareUnsigned(a.getMostSignificantBits(), b.getMostSignificantBits());
        return high != 0 ? high : Long.compareUnsigned(a.getLeastSignificantBits(), b.getLeastSignificantBits());
    }
}
