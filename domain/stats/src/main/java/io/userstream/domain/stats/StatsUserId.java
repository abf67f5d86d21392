package io.userstream.domain.stats;

import java.util.UUID;

/**
 * The id of the user whose stats are asked for, as user-stats-service reads it from a request: the
 * canonical textual form of a UUID (user-service's user ids), refused with the same reasons user-service
 * gives for its own {@code user_id} fields.
 */
public final class StatsUserId {

    static final String NOT_A_UUID = "must be a UUID such as 0190c8a2-6f3e-7b1a-9c4d-2e5f6a7b8c9d";

    private StatsUserId() {
    }

    /**
     * Parses {@code raw}, the value of the request field {@code field}.
     *
     * @throws InvalidRequestException naming {@code field} if {@code raw} is missing or not a canonical UUID
     */
    public static UUID parse(String field, String raw) {
        if (raw == null || raw.isBlank()) {
            throw new InvalidRequestException(field, "is required");
        }
        String trimmed = raw.trim();
        UUID uuid;
        try {
            uuid = UUID.fromString(trimmed);
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException(field, NOT_A_UUID);
        }
        // UUID.fromString accepts short forms such as "1-2-3-4-5"; insist on the canonical one.
        if (!uuid.toString().equalsIgnoreCase(trimmed)) {
            throw new InvalidRequestException(field, NOT_A_UUID);
        }
        return uuid;
    }
}
