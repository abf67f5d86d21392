package io.userstream.adapters.postgres;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.dbclient.DbClient;
import io.userstream.application.port.out.AuditTrail;
import io.userstream.application.view.AuditEntry;
import io.userstream.domain.user.UserId;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@link AuditTrail} read straight from the {@code events} table. The data is shown as it was stored,
 * not decoded into domain events, so the trail stays readable for any event type or schema version.
 *
 * <p>The stored payload keeps personal data apart ({@code {"data": {...}, "personal": {...}}}) so it
 * can be encrypted per user later; the trail shows one flat object, as a reader expects, with every
 * {@code password_hash} replaced by {@link AuditEntry#REDACTED}.
 */
public final class PostgresAuditTrail implements AuditTrail {

    private static final String HISTORY = """
            SELECT e.event_id, e.event_type, e.version, e.position, e.occurred_at, e.recorded_at,
                   e.payload::text AS payload, e.metadata::text AS metadata, e.schema_version, k.data_key
            FROM events e LEFT JOIN user_keys k ON k.stream_id = e.stream_id
            WHERE e.stream_id = ?::uuid
            ORDER BY e.version
            """;

    private static final String PASSWORD_HASH = "password_hash";
    /** What an erased user's personal fields show in its history. */
    static final String ERASED = "[erased]";

    private final Db db;
    private final UserEventCodec codec;

    /** @param dbClient the DbClient of the user-service database, e.g. {@link PostgresDatabase#dbClient()} */
    public PostgresAuditTrail(DbClient dbClient) {
        this.db = new Db(dbClient);
        this.codec = new UserEventCodec();
    }

    /** @param database user-service's database, with its way of storing data keys ({@link PostgresDatabase#useMasterKey}) */
    public PostgresAuditTrail(PostgresDatabase database) {
        this.db = new Db(database.dbClient());
        this.codec = database.codec();
    }

    @Override
    public List<AuditEntry> history(UserId userId) {
        List<Stored> stored = db.execute("read the history of user " + userId, exec -> {
            try (var rows = exec.query(HISTORY, userId.value())) {
                return rows.map(row -> new Stored(Db.uuid(row, "event_id"), Db.text(row, "event_type"),
                        Db.int8(row, "version"), Db.int8(row, "position"), Db.instant(row, "occurred_at"),
                        Db.instant(row, "recorded_at"), Db.text(row, "metadata"), Db.int4(row, "schema_version"),
                        Db.text(row, "payload"), Optional.ofNullable(row.column("data_key").get(byte[].class))))
                        .toList();
            }
        });
        // An erased user's events written before encryption hold plaintext: shown erased all the same.
        boolean erased = stored.stream().anyMatch(row -> "UserErased".equals(row.eventType()));
        return stored.stream().map(row -> entry(userId, row, erased)).toList();
    }

    /** A row of {@link #HISTORY}, read. */
    private record Stored(java.util.UUID eventId, String eventType, long version, long position,
                          java.time.Instant occurredAt, java.time.Instant recordedAt, String metadata,
                          int schemaVersion, String payload, Optional<byte[]> key) {
    }

    private AuditEntry entry(UserId userId, Stored row, boolean erased) {
        JsonNode metadata = codec.read(row.metadata());
        return new AuditEntry(row.eventId(), row.eventType(), row.version(), row.position(), row.occurredAt(),
                row.recordedAt(), text(metadata, "correlation_id"), text(metadata, "causation_id"),
                text(metadata, "actor"),
                dataJson(userId, row.eventType(), row.schemaVersion(), row.payload(), row.key(), erased));
    }

    /**
     * {@code data} and {@code personal} merged into one object (their keys are disjoint), hashes redacted;
     * the personal part decrypted with the user's key, or each of its fields {@value #ERASED} once the key is
     * gone.
     */
    private String dataJson(UserId userId, String eventType, int schemaVersion, String payloadJson,
                            Optional<byte[]> key, boolean erased) {
        JsonNode payload = codec.read(payloadJson);
        try {
            // Older shapes are brought to the current one first, so that the trail of old users is not empty.
            payload = UserEventUpcaster.upcast(eventType, schemaVersion, payload);
            if (erased || PersonalDataCipher.isSealed(payload) && key.isEmpty()) {
                ObjectNode masked = payload.deepCopy();
                ObjectNode personal = PersonalDataCipher.erased(eventType, userId.value(), codec);
                for (String field : List.copyOf(personal.properties().stream().map(Map.Entry::getKey).toList())) {
                    personal.put(field, ERASED);
                }
                masked.set("personal", personal);
                payload = masked;
            } else {
                payload = PersonalDataCipher.open(payload,
                        key.map(stored -> codec.keyWrap().unwrap(stored, userId.value())), userId.value(), eventType,
                        codec);
            }
        } catch (IllegalStateException unknownVersion) {
            // A version this code does not know: show the stored payload as it is (still redacted below).
            return codec.write(redactedCopy(payload));
        }
        ObjectNode flat = codec.mapper().createObjectNode();
        for (String part : List.of("data", "personal")) {
            for (Map.Entry<String, JsonNode> field : payload.path(part).properties()) {
                flat.set(field.getKey(), field.getValue().deepCopy());
            }
        }
        redact(flat);
        return codec.write(flat);
    }

    /** Anywhere in the tree, so that a nested hash in a future schema version cannot slip through. */
    private static JsonNode redactedCopy(JsonNode node) {
        JsonNode copy = node.deepCopy();
        redact(copy);
        return copy;
    }

    private static void redact(JsonNode node) {
        if (node instanceof ObjectNode object && object.has(PASSWORD_HASH)) {
            object.put(PASSWORD_HASH, AuditEntry.REDACTED);
        }
        if (node.isContainerNode()) {
            node.forEach(PostgresAuditTrail::redact);
        }
    }

    /** Metadata written by older code may lack a key (causation id is optional): absent reads as empty. */
    private static String text(JsonNode metadata, String key) {
        JsonNode value = metadata.get(key);
        return value == null || value.isNull() ? "" : value.asText();
    }
}
