package io.userstream.application.port.in;

import java.util.Objects;
import java.util.Optional;

/**
 * Who asked for a command and as part of what: recorded as metadata on every event it produces.
 *
 * @param correlationId ties together everything done for one user-facing request
 * @param causationId   the id of the message or event that caused this command, if any
 * @param actor         who issued it (a user id, a service name, or {@code anonymous})
 */
public record CommandContext(String correlationId, Optional<String> causationId, String actor) {
    public CommandContext {
        Objects.requireNonNull(correlationId, "correlationId");
        Objects.requireNonNull(causationId, "causationId");
        Objects.requireNonNull(actor, "actor");
    }
}
