package io.userstream.domain.user;

import java.util.regex.Pattern;

/**
 * A user's handle: 3 to 32 characters of {@code a-z}, {@code 0-9}, {@code .}, {@code _} and
 * {@code -}. Upper case is refused rather than folded, so a user never finds their chosen name
 * silently changed.
 *
 * @param value the handle
 */
public record Username(String value) {

    private static final Pattern SHAPE = Pattern.compile("[a-z0-9._-]{3,32}");

    public Username {
        if (value == null || !SHAPE.matcher(value).matches()) {
            throw new IllegalArgumentException("not a valid username; use Username.parse");
        }
    }

    /**
     * Validates raw input (surrounding whitespace is ignored).
     *
     * @throws InvalidValueException if it breaks the rule above
     */
    public static Username parse(String raw) {
        if (raw == null || raw.isBlank()) {
            throw new InvalidValueException("is required");
        }
        String trimmed = raw.strip();
        if (!SHAPE.matcher(trimmed).matches()) {
            throw new InvalidValueException("must be 3 to 32 characters of a-z, 0-9, '.', '_' or '-'");
        }
        return new Username(trimmed);
    }

    @Override
    public String toString() {
        return value;
    }
}
