package io.userstream.adapters.postgres;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.userstream.application.port.out.EventMetadata;
import io.userstream.domain.user.Email;
import io.userstream.domain.user.PasswordHash;
import io.userstream.domain.user.Profile;
import io.userstream.domain.user.UserEvent;
import io.userstream.domain.user.UserEvent.EmailChanged;
import io.userstream.domain.user.UserEvent.PasswordChanged;
import io.userstream.domain.user.UserEvent.ProfileUpdated;
import io.userstream.domain.user.UserEvent.UserActivated;
import io.userstream.domain.user.UserEvent.UserCreated;
import io.userstream.domain.user.UserEvent.UserDeactivated;
import io.userstream.domain.user.UserEvent.UserDeleted;
import io.userstream.domain.user.UserEvent.UserErased;
import io.userstream.domain.user.UserId;
import io.userstream.domain.user.Username;

import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/**
 * Maps domain events to stored rows and back, by hand, so the domain carries no JSON annotations
 * and the stored shape is a deliberate contract.
 *
 * <p>Payload shape: {@code {"data": {...}, "personal": {...}}}. Personal data (e-mail addresses,
 * names, avatar URL) lives only under {@code personal}, which is sealed with the user's data key
 * ({@link PersonalDataCipher}) and so shredded by deleting the key, without rewriting any event. Payloads
 * written before encryption keep a plaintext {@code personal} and read as they are. The user id and the time of
 * the event are columns ({@code stream_id}, {@code occurred_at}), not payload.
 */
final class UserEventCodec {

    /** Stream type recorded for every user stream. */
    static final String STREAM_TYPE = "user";

    private final ObjectMapper json = new ObjectMapper();
    private final KeyWrap keyWrap;

    /** For data keys stored as they are (no master key). */
    UserEventCodec() {
        this(KeyWrap.NONE);
    }

    /** @param keyWrap how the data keys handed to {@link #decode} are stored */
    UserEventCodec(KeyWrap keyWrap) {
        this.keyWrap = keyWrap;
    }

    /** How data keys are stored. */
    KeyWrap keyWrap() {
        return keyWrap;
    }

    /** A row's event-specific columns. */
    record Encoded(String eventType, int schemaVersion, String payload) {
    }

    /** As {@link #encode(UserEvent, Optional, UUID)} with no key: personal data stays plaintext. */
    Encoded encode(UserEvent event) {
        return encode(event, Optional.empty(), null);
    }

    /**
     * @param key    the user's data key: when present, the personal part is sealed with it
     * @param stream the user's id (the cipher's authenticated data); may be null without a key
     */
    Encoded encode(UserEvent event, Optional<byte[]> key, UUID stream) {
        ObjectNode data = json.createObjectNode();
        ObjectNode personal = json.createObjectNode();
        String type = switch (event) {
            case UserCreated created -> {
                data.put("username", created.username().value());
                data.put("password_hash", created.passwordHash().encoded());
                personal.put("email", created.email().value());
                putProfile(personal, created.profile());
                yield "UserCreated";
            }
            case EmailChanged changed -> {
                personal.put("old_email", changed.oldEmail().value());
                personal.put("new_email", changed.newEmail().value());
                yield "EmailChanged";
            }
            case PasswordChanged changed -> {
                data.put("password_hash", changed.passwordHash().encoded());
                yield "PasswordChanged";
            }
            case ProfileUpdated updated -> {
                putProfile(personal, updated.profile());
                yield "ProfileUpdated";
            }
            case UserActivated activated -> "UserActivated";
            case UserDeactivated deactivated -> "UserDeactivated";
            case UserDeleted deleted -> "UserDeleted";
            case UserErased erased -> "UserErased";
        };
        ObjectNode payload = json.createObjectNode();
        payload.set("data", data);
        payload.set("personal", personal);
        key.ifPresent(k -> PersonalDataCipher.seal(payload, k, stream, this));
        return new Encoded(type, UserEventUpcaster.currentVersion(type), write(payload));
    }

    /** As {@link #decode(UserId, String, int, String, Instant, Optional)} without a key. */
    UserEvent decode(UserId userId, String eventType, int schemaVersion, String payloadJson, Instant occurredAt) {
        return decode(userId, eventType, schemaVersion, payloadJson, occurredAt, Optional.empty());
    }

    /**
     * Decodes a stored row; its personal part opened with the user's {@code key} (as stored: unwrapped here),
     * or shown erased if the part is sealed and the key is gone.
     */
    UserEvent decode(UserId userId, String eventType, int schemaVersion, String payloadJson, Instant occurredAt,
                     Optional<byte[]> key) {
        return decode(userId, eventType, schemaVersion, payloadJson, occurredAt, key, false);
    }

    /**
     * As above; with {@code erased} (the user's stream holds a UserErased), the personal part shows as erased
     * even where it was stored in plaintext (events written before encryption).
     */
    UserEvent decode(UserId userId, String eventType, int schemaVersion, String payloadJson, Instant occurredAt,
                     Optional<byte[]> key, boolean erased) {
        JsonNode upcast = UserEventUpcaster.upcast(eventType, schemaVersion, read(payloadJson));
        JsonNode payload;
        if (erased) {
            ObjectNode masked = upcast.deepCopy();
            masked.set("personal", PersonalDataCipher.erased(eventType, userId.value(), this));
            payload = masked;
        } else {
            payload = PersonalDataCipher.open(upcast, key.map(stored -> keyWrap.unwrap(stored, userId.value())),
                    userId.value(), eventType, this);
        }
        JsonNode data = payload.path("data");
        JsonNode personal = payload.path("personal");
        return switch (eventType) {
            case "UserCreated" -> new UserCreated(userId, new Email(text(personal, "email")),
                    new Username(text(data, "username")), new PasswordHash(text(data, "password_hash")),
                    profile(personal), occurredAt);
            case "EmailChanged" -> new EmailChanged(userId, new Email(text(personal, "old_email")),
                    new Email(text(personal, "new_email")), occurredAt);
            case "PasswordChanged" -> new PasswordChanged(userId, new PasswordHash(text(data, "password_hash")), occurredAt);
            case "ProfileUpdated" -> new ProfileUpdated(userId, profile(personal), occurredAt);
            case "UserActivated" -> new UserActivated(userId, occurredAt);
            case "UserDeactivated" -> new UserDeactivated(userId, occurredAt);
            case "UserDeleted" -> new UserDeleted(userId, occurredAt);
            case "UserErased" -> new UserErased(userId, occurredAt);
            default -> throw new IllegalStateException("unknown event type " + eventType);
        };
    }

    private static void putProfile(ObjectNode personal, Profile profile) {
        personal.put("first_name", profile.firstName());
        personal.put("last_name", profile.lastName());
        personal.put("avatar_url", profile.avatarUrl());
    }

    private static Profile profile(JsonNode personal) {
        return new Profile(text(personal, "first_name"), text(personal, "last_name"), text(personal, "avatar_url"));
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || !value.isTextual()) {
            throw new IllegalStateException("stored event lacks text field " + field);
        }
        return value.asText();
    }

    String write(JsonNode node) {
        try {
            return json.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise JSON", e);
        }
    }

    JsonNode read(String text) {
        try {
            return json.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored JSON is malformed", e);
        }
    }

    ObjectMapper mapper() {
        return json;
    }

    /** Metadata column JSON: {@code {"correlation_id", "causation_id"?, "actor"}}. */
    String metadataJson(EventMetadata metadata) {
        ObjectNode node = json.createObjectNode();
        node.put("correlation_id", metadata.correlationId());
        metadata.causationId().ifPresent(causation -> node.put("causation_id", causation));
        node.put("actor", metadata.actor());
        return write(node);
    }

    EventMetadata metadata(String metadataJson) {
        JsonNode node = read(metadataJson);
        JsonNode causation = node.get("causation_id");
        return new EventMetadata(node.path("correlation_id").asText(""),
                causation == null || causation.isNull() ? Optional.empty() : Optional.of(causation.asText()),
                node.path("actor").asText(""));
    }
}
