package io.userstream.application.port.out;

import io.userstream.domain.user.UserEvent;

import java.util.Objects;
import java.util.UUID;

/**
 * A decided event with the id it will keep forever (consumers deduplicate on it).
 *
 * @param eventId globally unique id of the event
 * @param event   the domain fact
 */
public record NewUserEvent(UUID eventId, UserEvent event) {
    public NewUserEvent {
        Objects.requireNonNull(eventId, "eventId");
        Objects.requireNonNull(event, "event");
    }
}
