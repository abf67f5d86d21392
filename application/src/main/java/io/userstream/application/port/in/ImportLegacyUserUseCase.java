package io.userstream.application.port.in;

import io.userstream.domain.user.User;
import io.userstream.domain.user.UserStatus;

import java.time.Instant;

/**
 * Brings one row of a legacy CRUD {@code users} table into the event store, and keeps it there while the legacy
 * application still writes (the migration's dual-write phase): the first import records the user's first events,
 * a later one records what changed in the row since, and a row that did not change records nothing. Running an
 * import twice therefore imports nothing twice.
 */
public interface ImportLegacyUserUseCase {

    /**
     * @return what was done, and the user as the event store now has it
     * @throws io.userstream.domain.user.UserRejectedException on an invalid row (INVALID_ARGUMENT naming the field),
     *         an e-mail or username another user holds, a renamed user, or a deleted user the row revives
     */
    ImportResult importLegacyUser(LegacyUserRow row, CommandContext context);

    /**
     * One legacy row, as the migration tool read it. The use case validates every field.
     *
     * @param source       names the legacy table (e.g. {@code crm.users}); with {@code legacyId} it identifies the
     *                     row across runs, so keep it the same for every run against one table
     * @param legacyId     the row's primary key; a UUID is kept as the user id, anything else is mapped to a
     *                     stable name-based UUID
     * @param passwordHash the legacy hash (PHC or modular crypt format, e.g. bcrypt's {@code $2b$…}; a Spring
     *                     {@code {bcrypt}} prefix is accepted), carried over as it is
     * @param status       ACTIVE, INACTIVE or DELETED
     * @param createdAt    when the legacy system registered the user, or null
     */
    record LegacyUserRow(String source, String legacyId, String email, String username, String passwordHash,
                         String firstName, String lastName, String avatarUrl, UserStatus status, Instant createdAt) {
        @Override
        public String toString() {
            return "LegacyUserRow[source=" + source + ", legacyId=" + legacyId + ", passwordHash=redacted]";
        }
    }

    /** What an import did. */
    enum Outcome {
        /** The user was not in the event store: its first events were recorded. */
        CREATED,
        /** The row had changed: the events that make the user equal to it were recorded. */
        UPDATED,
        /** The event store already agreed with the row: nothing was recorded. */
        UNCHANGED
    }

    /**
     * @param user                the user after the import
     * @param eventsAppended      how many events this import recorded
     * @param passwordVerifiable  whether this service can verify the carried-over hash; when false the user cannot
     *                            sign in with the old password and must reset it
     */
    record ImportResult(Outcome outcome, User user, int eventsAppended, boolean passwordVerifiable) {
    }
}
