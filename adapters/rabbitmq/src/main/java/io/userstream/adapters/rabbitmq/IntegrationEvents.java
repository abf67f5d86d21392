package io.userstream.adapters.rabbitmq;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Timestamp;
import io.userstream.application.port.out.RecordedUserEvent;
import io.userstream.domain.stats.ActivityType;
import io.userstream.domain.stats.UserActivity;
import io.userstream.domain.user.UserEvent;
import io.userstream.proto.events.v1.EmailChanged;
import io.userstream.proto.events.v1.PasswordChanged;
import io.userstream.proto.events.v1.ProfileUpdated;
import io.userstream.proto.events.v1.UserActivated;
import io.userstream.proto.events.v1.UserCreated;
import io.userstream.proto.events.v1.UserDeactivated;
import io.userstream.proto.events.v1.UserDeleted;
import io.userstream.proto.events.v1.UserErased;

import java.time.Instant;
import java.util.UUID;

/**
 * Domain events to the public integration contract ({@code userstream.events.v1.UserEvent}) and the
 * contract to what user-stats needs. Only the username leaves user-service with the events: no
 * password hash, no e-mail address, no names.
 */
final class IntegrationEvents {

    static final String CONTENT_TYPE = "application/x-protobuf";

    private IntegrationEvents() {
    }

    /** The routing key (and {@code event_type}) of an event, e.g. {@code user.email_changed}. */
    static String routingKey(UserEvent event) {
        return switch (event) {
            case UserEvent.UserCreated created -> "user.created";
            case UserEvent.EmailChanged changed -> "user.email_changed";
            case UserEvent.PasswordChanged changed -> "user.password_changed";
            case UserEvent.ProfileUpdated updated -> "user.profile_updated";
            case UserEvent.UserActivated activated -> "user.activated";
            case UserEvent.UserDeactivated deactivated -> "user.deactivated";
            case UserEvent.UserDeleted deleted -> "user.deleted";
            case UserEvent.UserErased erased -> "user.erased";
        };
    }

    static io.userstream.proto.events.v1.UserEvent toMessage(RecordedUserEvent recorded) {
        UserEvent event = recorded.event();
        io.userstream.proto.events.v1.UserEvent.Builder message = io.userstream.proto.events.v1.UserEvent.newBuilder()
                .setEventId(recorded.eventId().toString())
                .setUserId(event.userId().toString())
                .setStreamVersion(recorded.version())
                .setOccurredAt(timestamp(event.occurredAt()))
                .setEventType(routingKey(event));
        switch (event) {
            case UserEvent.UserCreated created ->
                    message.setCreated(UserCreated.newBuilder().setUsername(created.username().value()));
            case UserEvent.EmailChanged changed -> message.setEmailChanged(EmailChanged.getDefaultInstance());
            case UserEvent.PasswordChanged changed -> message.setPasswordChanged(PasswordChanged.getDefaultInstance());
            case UserEvent.ProfileUpdated updated -> message.setProfileUpdated(ProfileUpdated.getDefaultInstance());
            case UserEvent.UserActivated activated -> message.setActivated(UserActivated.getDefaultInstance());
            case UserEvent.UserDeactivated deactivated -> message.setDeactivated(UserDeactivated.getDefaultInstance());
            case UserEvent.UserDeleted deleted -> message.setDeleted(UserDeleted.getDefaultInstance());
            case UserEvent.UserErased erased -> message.setErased(UserErased.getDefaultInstance());
        }
        return message.build();
    }

    /**
     * Decodes a message body into what user-stats consumes.
     *
     * @throws IllegalArgumentException if it is not a well-formed user event (a poison message)
     */
    static UserActivity toActivity(byte[] body) {
        io.userstream.proto.events.v1.UserEvent message;
        try {
            message = io.userstream.proto.events.v1.UserEvent.parseFrom(body);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("not a userstream.events.v1.UserEvent: " + e.getMessage(), e);
        }
        ActivityType type = switch (message.getDataCase()) {
            case CREATED -> ActivityType.CREATED;
            case EMAIL_CHANGED -> ActivityType.EMAIL_CHANGED;
            case PASSWORD_CHANGED -> ActivityType.PASSWORD_CHANGED;
            case PROFILE_UPDATED -> ActivityType.PROFILE_UPDATED;
            case ACTIVATED -> ActivityType.ACTIVATED;
            case DEACTIVATED -> ActivityType.DEACTIVATED;
            case DELETED -> ActivityType.DELETED;
            case ERASED -> ActivityType.ERASED;
            case DATA_NOT_SET -> throw new IllegalArgumentException("user event " + message.getEventId() + " has no data");
        };
        if (message.getStreamVersion() < 1 || !message.hasOccurredAt()) {
            throw new IllegalArgumentException("user event " + message.getEventId() + " lacks a version or time");
        }
        try {
            return new UserActivity(UUID.fromString(message.getEventId()), UUID.fromString(message.getUserId()),
                    message.getStreamVersion(), Instant.ofEpochSecond(message.getOccurredAt().getSeconds(),
                    message.getOccurredAt().getNanos()), type);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("user event has a malformed id: " + e.getMessage(), e);
        }
    }

    private static Timestamp timestamp(Instant instant) {
        return Timestamp.newBuilder().setSeconds(instant.getEpochSecond()).setNanos(instant.getNano()).build();
    }
}
