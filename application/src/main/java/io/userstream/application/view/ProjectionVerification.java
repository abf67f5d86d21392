package io.userstream.application.view;

import java.util.List;
import java.util.UUID;

/**
 * How a projection's table compares with the fold of every stream in the log, read in one snapshot.
 * Only streams wholly at or before the projection's checkpoint are compared: the rows of the others
 * may still lag, legitimately, and are only counted as skipped.
 *
 * @param checkpoint     the projection's checkpoint in the snapshot verified
 * @param usersChecked   streams compared with their row, plus rows with no stream
 * @param usersDiffering of those, the users whose row differs, is missing or has no stream
 * @param usersSkipped   streams with events after the checkpoint
 * @param differences    the first differing users (up to the requested limit), in id order
 */
public record ProjectionVerification(String checkpoint, long usersChecked, long usersDiffering, long usersSkipped,
                                     List<UserDifference> differences) {

    public ProjectionVerification {
        differences = List.copyOf(differences);
    }

    /** Why a user is reported. */
    public enum DifferenceKind {
        /** The row exists and some of its fields differ from the fold. */
        FIELDS_DIFFER,
        /** The stream has no row. */
        ROW_MISSING,
        /** The row has no stream in the log. */
        ROW_WITHOUT_STREAM,
        /** The stream's events cannot be decoded or folded (the projection would have parked them). */
        HISTORY_UNREADABLE,
        /** The user was erased, yet its row is still there. */
        ERASED_BUT_PRESENT
    }

    /**
     * One differing user.
     *
     * @param fields the differing fields, for {@link DifferenceKind#FIELDS_DIFFER}; else empty
     */
    public record UserDifference(UUID userId, DifferenceKind kind, List<FieldDifference> fields) {

        public UserDifference {
            fields = List.copyOf(fields);
        }
    }

    /**
     * One column that differs from the fold. The values of personal data are never carried, so that
     * admin output stays free of it: for those {@code personal} is set and both values are empty.
     *
     * @param field    the column, e.g. {@code status}
     * @param expected the value the fold gives
     * @param actual   the value in the table
     */
    public record FieldDifference(String field, boolean personal, String expected, String actual) {
    }
}
