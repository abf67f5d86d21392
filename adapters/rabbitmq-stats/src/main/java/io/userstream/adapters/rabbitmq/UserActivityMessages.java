package io.userstream.adapters.rabbitmq;

import com.google.protobuf.InvalidProtocolBufferException;
import io.userstream.domain.stats.ActivityType;
import io.userstream.domain.stats.UserActivity;

import java.time.Instant;
import java.util.UUID;

/**
 * The public integration contract ({@code userstream.events.v1.UserEvent}, published by user-service) to
 * what user-stats needs. Reads the contract only: nothing of user-service's domain is needed to consume it.
 */
final class UserActivityMessages {

    /** What user-service's publisher sets as the messages' content type. */
    static final String CONTENT_TYPE = "application/x-protobuf";

    private UserActivityMessages() {
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
}
