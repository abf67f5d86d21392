package io.userstream.domain.user;

import java.util.Objects;
import java.util.UUID;

/** Identity of a user: a UUID, also the id of the user's event stream. */
public record UserId(UUID value) {

    public UserId {
        Objects.requireNonNull(value, "value");
    }

    /**
     * Parses the canonical textual form of a UUID.
     *
     * @throws InvalidValueException if {@code raw} is not a UUID
     */
    public static UserId parse(String raw) {
        if (raw == null || raw.isBlank()) {
            throw new InvalidValueException("is required");
        }
        try {
            UUID uuid = UUID.fromString(raw.trim());
            // UUID.fromString accepts short forms such as "1-2-3-4-5"; insist on the canonical one.
            if (!uuid.toString().equalsIgnoreCase(raw.trim())) {
                throw new InvalidValueException("must be a UUID such as 0190c8a2-6f3e-7b1a-9c4d-2e5f6a7b8c9d");
            }
            return new UserId(uuid);
        } catch (IllegalArgumentException e) {
            throw new InvalidValueException("must be a UUID such as 0190c8a2-6f3e-7b1a-9c4d-2e5f6a7b8c9d");
        }
    }

    @Override
    public String toString() {
        return value.toString();
    }
}
