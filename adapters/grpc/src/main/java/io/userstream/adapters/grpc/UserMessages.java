package io.userstream.adapters.grpc;

import com.google.protobuf.Timestamp;
import io.userstream.application.view.AuditEntry;
import io.userstream.application.view.UserView;
import io.userstream.domain.user.FieldViolation;
import io.userstream.domain.user.User;
import io.userstream.domain.user.UserRejectedException;
import io.userstream.domain.user.UserRejection;
import io.userstream.domain.user.UserStatus;
import io.userstream.proto.user.v1.UserEventRecord;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Users and audit entries to API messages, and the few API values that come back in. A user
 * becomes a message by one path only, {@link UserView}, whether a command returned it or a query
 * read it. The password hash has no field to go to, by design.
 */
final class UserMessages {

    /** {@code google.protobuf.Timestamp}'s range: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z. */
    private static final long MIN_SECONDS = -62_135_596_800L;
    private static final long MAX_SECONDS = 253_402_300_799L;

    private UserMessages() {
    }

    /** A user as a command left it. */
    static io.userstream.proto.user.v1.User toMessage(User user) {
        return toMessage(UserView.of(user));
    }

    static io.userstream.proto.user.v1.User toMessage(UserView user) {
        io.userstream.proto.user.v1.User.Builder message = io.userstream.proto.user.v1.User.newBuilder()
                .setId(user.id().toString())
                .setEmail(user.email())
                .setUsername(user.username())
                .setFirstName(user.firstName())
                .setLastName(user.lastName())
                .setAvatarUrl(user.avatarUrl())
                .setStatus(toMessage(user.status()))
                .setCreatedAt(timestamp(user.createdAt()))
                .setUpdatedAt(timestamp(user.updatedAt()))
                .setVersion(user.version());
        if (user.deletedAt() != null) {
            message.setDeletedAt(timestamp(user.deletedAt()));
        }
        return message.build();
    }

    static UserEventRecord toMessage(AuditEntry entry) {
        return UserEventRecord.newBuilder()
                .setEventId(entry.eventId().toString())
                .setEventType(entry.eventType())
                .setVersion(entry.version())
                .setPosition(entry.position())
                .setOccurredAt(timestamp(entry.occurredAt()))
                .setRecordedAt(timestamp(entry.recordedAt()))
                .setCorrelationId(entry.correlationId())
                .setCausationId(entry.causationId())
                .setActor(entry.actor())
                .setDataJson(entry.dataJson())
                .build();
    }

    static io.userstream.proto.user.v1.UserStatus toMessage(UserStatus status) {
        return switch (status) {
            case ACTIVE -> io.userstream.proto.user.v1.UserStatus.ACTIVE;
            case INACTIVE -> io.userstream.proto.user.v1.UserStatus.INACTIVE;
            case DELETED -> io.userstream.proto.user.v1.UserStatus.DELETED;
        };
    }

    /** A status filter: {@code USER_STATUS_UNSPECIFIED} means every status; an unknown enum number is refused. */
    static Optional<UserStatus> statusFilter(io.userstream.proto.user.v1.UserStatus status) {
        return switch (status) {
            case USER_STATUS_UNSPECIFIED -> Optional.empty();
            case ACTIVE -> Optional.of(UserStatus.ACTIVE);
            case INACTIVE -> Optional.of(UserStatus.INACTIVE);
            case DELETED -> Optional.of(UserStatus.DELETED);
            case UNRECOGNIZED -> throw invalidField("status", "must be ACTIVE, INACTIVE, DELETED or unspecified");
        };
    }

    static Timestamp timestamp(Instant instant) {
        return Timestamp.newBuilder().setSeconds(instant.getEpochSecond()).setNanos(instant.getNano()).build();
    }

    /** @throws UserRejectedException naming {@code field} if the timestamp lies outside {@code google.protobuf.Timestamp}'s range */
    static Instant instant(Timestamp timestamp, String field) {
        if (timestamp.getSeconds() < MIN_SECONDS || timestamp.getSeconds() > MAX_SECONDS
                || timestamp.getNanos() < 0 || timestamp.getNanos() > 999_999_999) {
            throw invalidField(field, "must be a timestamp between 0001-01-01 and 9999-12-31");
        }
        return Instant.ofEpochSecond(timestamp.getSeconds(), timestamp.getNanos());
    }

    /** Input the adapter itself refuses before any use case sees it, reported like the use cases' own. */
    static UserRejectedException invalidField(String field, String reason) {
        return new UserRejectedException(new UserRejection.InvalidInput(List.of(new FieldViolation(field, reason))));
    }
}
