package io.userstream.adapters.rabbitmq;

import com.google.protobuf.Timestamp;
import io.userstream.application.port.out.RecordedUserEvent;
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

/**
 * Domain events to the public integration contract ({@code userstream.events.v1.UserEvent}); user-stats-service
 * reads them back with its own {@code UserActivityMessages}. Only the username leaves user-service with the
 * events: no password hash, no e-mail address, no names.
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

    private static Timestamp timestamp(Instant instant) {
        return Timestamp.newBuilder().setSeconds(instant.getEpochSecond()).setNanos(instant.getNano()).build();
    }
}
