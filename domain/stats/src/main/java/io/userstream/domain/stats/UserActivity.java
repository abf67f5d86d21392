package io.userstream.domain.stats;

import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/**
 * One user event as stats see it: which event (for idempotent consumption), whose, where in the user's
 * stream (to spot lost or reordered events), when, and what kind.
 *
 * @param eventId    the event's id, the same on every redelivery
 * @param userId     the user the event belongs to
 * @param version    the event's version in the user's stream, starting at 1 (the {@link ActivityType#CREATED})
 * @param occurredAt when the change happened
 * @param type       what kind of change it was
 */
public record UserActivity(UUID eventId, UUID userId, long version, Instant occurredAt, ActivityType type) {

    public UserActivity {
        Objects.requireNonNull(eventId, "eventId");
        Objects.requireNonNull(userId, "userId");
        Objects.requireNonNull(occurredAt, "occurredAt");
        Objects.requireNonNull(type, "type");
        if (version < 1) {
            throw new IllegalArgumentException("an event's version starts at 1, not " + version
                    + " (event " + eventId + " of user " + userId + ")");
        }
    }
}
