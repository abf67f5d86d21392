package io.userstream.application.port.out;

import io.userstream.domain.user.UserEvent;

import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/**
 * The envelope of a stored event: the domain fact plus where and when it was recorded.
 *
 * @param eventId    globally unique id of the event
 * @param version    position of the event in its user's stream, starting at 1
 * @param position   position in the global log (assigned at insert, so NOT commit order)
 * @param event      the domain fact
 * @param metadata   correlation id, causation id and actor of the command that produced it
 * @param recordedAt when the event store accepted it
 */
public record RecordedUserEvent(UUID eventId, long version, long position, UserEvent event,
                                EventMetadata metadata, Instant recordedAt) {
    public RecordedUserEvent {
        Objects.requireNonNull(eventId, "eventId");
        Objects.requireNonNull(event, "event");
        Objects.requireNonNull(metadata, "metadata");
        Objects.requireNonNull(recordedAt, "recordedAt");
    }
}
