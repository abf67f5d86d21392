package io.userstream.domain.user;

import java.util.Objects;

/**
 * One offending input field and why it was refused.
 *
 * @param field  the field's name as the caller spelled it (e.g. {@code email}, {@code first_name})
 * @param reason a short explanation, e.g. {@code must be 8 to 128 characters}
 */
public record FieldViolation(String field, String reason) {
    public FieldViolation {
        Objects.requireNonNull(field, "field");
        Objects.requireNonNull(reason, "reason");
    }
}
