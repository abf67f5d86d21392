package io.userstream.application.port.out;

import io.userstream.domain.user.UserId;

import java.util.List;
import java.util.Objects;

/**
 * One atomic append to a user's stream.
 *
 * @param userId          the stream
 * @param expectedVersion the stream's version the events were decided on (0 for a new stream);
 *                        the first new event gets {@code expectedVersion + 1}
 * @param events          at least one event, in order
 * @param reservations    uniqueness claims and releases that commit with the events
 * @param metadata        recorded on every event of this append
 */
public record AppendRequest(UserId userId, long expectedVersion, List<NewUserEvent> events,
                            ReservationChanges reservations, EventMetadata metadata) {
    public AppendRequest {
        Objects.requireNonNull(userId, "userId");
        Objects.requireNonNull(reservations, "reservations");
        Objects.requireNonNull(metadata, "metadata");
        events = List.copyOf(events);
        if (events.isEmpty()) {
            throw new IllegalArgumentException("an append needs at least one event");
        }
        if (expectedVersion < 0) {
            throw new IllegalArgumentException("expectedVersion must be >= 0");
        }
    }
}
