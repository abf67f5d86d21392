package io.userstream.application.view;

import java.time.Instant;
import java.util.UUID;

/**
 * An event a projection could not handle after its retries. It stays listed, with its error, until
 * an operator retries it successfully: an event is never skipped silently.
 *
 * @param projection the projection that parked it
 * @param position   the event's position in the global log
 * @param eventId    the event's id
 * @param eventType  e.g. {@code UserCreated}
 * @param streamId   the user the event belongs to
 * @param version    the event's version in that user's stream
 * @param error      the last failure
 * @param attempts   how many times it was tried
 * @param parkedAt   when it was parked (or last retried)
 */
public record ParkedEvent(String projection, long position, UUID eventId, String eventType, UUID streamId,
                          long version, String error, int attempts, Instant parkedAt) {
}
