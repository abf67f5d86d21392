package io.userstream.application.port.out;

import java.util.Objects;
import java.util.Optional;

/**
 * Why an event exists: recorded with it for the audit trail and for tracing across services.
 *
 * @param correlationId ties together everything done for one user-facing request
 * @param causationId   the id of the message or event that caused the command, if any
 * @param actor         who issued the command
 */
public record EventMetadata(String correlationId, Optional<String> causationId, String actor) {
    public EventMetadata {
        Objects.requireNonNull(correlationId, "correlationId");
        Objects.requireNonNull(causationId, "causationId");
        Objects.requireNonNull(actor, "actor");
    }
}
