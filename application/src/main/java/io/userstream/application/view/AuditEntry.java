package io.userstream.application.view;

import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/**
 * One stored event as the audit trail shows it: who did what, when, and as part of which request.
 * The event's data is kept as the JSON it was stored as rather than as a domain event, so that the
 * trail shows exactly what was recorded, events of any schema version included.
 *
 * @param eventId       the event's globally unique id
 * @param eventType     {@code UserCreated}, {@code EmailChanged}, ...
 * @param version       the event's place in the user's stream, starting at 1
 * @param position      its place in the global log (insertion order, not commit order)
 * @param occurredAt    when it happened, by the service's clock
 * @param recordedAt    when the event store accepted it
 * @param correlationId the request it was part of
 * @param causationId   the message or event that caused it; empty when none was given
 * @param actor         who issued the command
 * @param dataJson      a flat JSON object of the event's data, personal data included; every
 *                      password hash replaced by {@code "[redacted]"}
 */
public record AuditEntry(UUID eventId, String eventType, long version, long position, Instant occurredAt,
                         Instant recordedAt, String correlationId, String causationId, String actor,
                         String dataJson) {

    /** What stands in the data for a password hash: even hashes are not for display. */
    public static final String REDACTED = "[redacted]";

    public AuditEntry {
        Objects.requireNonNull(eventId, "eventId");
        Objects.requireNonNull(eventType, "eventType");
        Objects.requireNonNull(occurredAt, "occurredAt");
        Objects.requireNonNull(recordedAt, "recordedAt");
        Objects.requireNonNull(correlationId, "correlationId");
        Objects.requireNonNull(causationId, "causationId");
        Objects.requireNonNull(actor, "actor");
        Objects.requireNonNull(dataJson, "dataJson");
    }
}
