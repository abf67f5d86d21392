package io.userstream.adapters.postgres;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Locale;

/**
 * Brings stored payloads of older schema versions to the current shape on read, so history is never
 * rewritten and the decoder knows only the newest shape.
 *
 * <p>Versions so far:
 * <ul>
 *   <li>{@code UserCreated} v1 — the guide's flat payload
 *       {@code {"email","username","password_hash","first_name","last_name","avatar_url"}}, e-mail as
 *       typed and absent profile fields null;
 *       v2 (current) separates personal data: {@code {"data":{username,password_hash},
 *       "personal":{email,first_name,last_name,avatar_url}}}, so it can be encrypted per user.</li>
 *   <li>Every other event type: v1 is current.</li>
 * </ul>
 */
final class UserEventUpcaster {

    /** The schema version the codec writes for each event type. */
    static int currentVersion(String eventType) {
        return "UserCreated".equals(eventType) ? 2 : 1;
    }

    /**
     * @return the payload in the current shape of {@code eventType}
     * @throws IllegalStateException for a version this code does not know (newer code wrote it, or corruption)
     */
    static JsonNode upcast(String eventType, int schemaVersion, JsonNode payload) {
        int current = currentVersion(eventType);
        if (schemaVersion == current) {
            return payload;
        }
        if ("UserCreated".equals(eventType) && schemaVersion == 1) {
            return userCreatedV1ToV2((ObjectNode) payload);
        }
        throw new IllegalStateException("unknown schema version " + schemaVersion + " of " + eventType
                + " (this code reads up to " + current + ")");
    }

    private static JsonNode userCreatedV1ToV2(ObjectNode flat) {
        ObjectNode v2 = flat.objectNode();
        ObjectNode data = v2.putObject("data");
        ObjectNode personal = v2.putObject("personal");
        data.set("username", flat.get("username"));
        data.set("password_hash", flat.get("password_hash"));
        personal.put("email", normaliseDomain(flat.path("email").asText()));
        // v1 wrote absent profile fields as null or left them out; v2 always has strings.
        for (String field : new String[] {"first_name", "last_name", "avatar_url"}) {
            JsonNode value = flat.get(field);
            personal.put(field, value == null || value.isNull() ? "" : value.asText());
        }
        return v2;
    }

    /** v1 stored addresses as typed; the current rule lower-cases the domain (the local part keeps its case). */
    private static String normaliseDomain(String email) {
        String trimmed = email.strip();
        int at = trimmed.lastIndexOf('@');
        return at < 0 ? trimmed : trimmed.substring(0, at) + "@" + trimmed.substring(at + 1).toLowerCase(Locale.ROOT);
    }

    private UserEventUpcaster() {
    }
}
