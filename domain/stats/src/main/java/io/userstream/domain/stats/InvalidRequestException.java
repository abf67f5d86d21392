package io.userstream.domain.stats;

import java.util.List;
import java.util.Objects;

/**
 * A request to user-stats-service that names something it cannot accept: every offending field with why,
 * so that the caller learns about all of them at once. The stats context's own counterpart of the user
 * context's field violations; adapters answer it as gRPC's INVALID_ARGUMENT with a {@code BadRequest}
 * naming the fields.
 */
public final class InvalidRequestException extends RuntimeException {

    /**
     * One offending input field and why it was refused.
     *
     * @param field  the field's name as the caller spelled it, e.g. {@code user_id}
     * @param reason a short explanation, e.g. {@code is required}
     */
    public record Violation(String field, String reason) {
        public Violation {
            Objects.requireNonNull(field, "field");
            Objects.requireNonNull(reason, "reason");
        }
    }

    private final List<Violation> violations;

    public InvalidRequestException(List<Violation> violations) {
        super(message(violations), null, false, false);
        if (violations.isEmpty()) {
            throw new IllegalArgumentException("an invalid request has at least one violation");
        }
        this.violations = List.copyOf(violations);
    }

    public InvalidRequestException(String field, String reason) {
        this(List.of(new Violation(field, reason)));
    }

    public List<Violation> violations() {
        return violations;
    }

    /** {@code invalid request: user_id must be a UUID such as …}, worded like user-service's. */
    private static String message(List<Violation> violations) {
        StringBuilder text = new StringBuilder("invalid request: ");
        for (int i = 0; i < violations.size(); i++) {
            Violation v = violations.get(i);
            text.append(i == 0 ? "" : "; ").append(v.field()).append(' ').append(v.reason());
        }
        return text.toString();
    }
}
