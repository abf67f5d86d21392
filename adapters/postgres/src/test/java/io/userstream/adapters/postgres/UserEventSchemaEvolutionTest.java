package io.userstream.adapters.postgres;

import io.userstream.application.port.out.RecordedUserEvent;
import io.userstream.domain.user.Email;
import io.userstream.domain.user.PasswordHash;
import io.userstream.domain.user.Profile;
import io.userstream.domain.user.User;
import io.userstream.domain.user.UserEvent;
import io.userstream.domain.user.UserId;
import io.userstream.domain.user.Username;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Rows written in an older payload shape still load, upcast on read; history is never rewritten. */
class UserEventSchemaEvolutionTest {

    private static final Instant AT = Instant.parse("2025-01-01T10:00:00Z");

    private static TestDatabase db;
    private static PostgresUserEventStore store;

    @BeforeAll
    static void open() {
        db = TestDatabase.create();
        store = new PostgresUserEventStore(db.database());
    }

    @AfterAll
    static void close() throws Exception {
        db.close();
    }

    @Test
    void a_user_created_v1_row_in_the_flat_shape_loads_as_the_current_event() throws Exception {
        UserId id = new UserId(UUID.randomUUID());
        insert(id, 1, "UserCreated", 1, """
                {"email": "Ada@Example.com", "username": "ada-v1", "password_hash": "$argon2id$old",
                 "first_name": "Ada", "last_name": null, "avatar_url": "https://example.com/a.png"}
                """);
        insert(id, 2, "UserDeactivated", 1, "{\"data\": {}, \"personal\": {}}");

        List<RecordedUserEvent> history = store.load(id);

        assertThat(history.getFirst().event()).isEqualTo(new UserEvent.UserCreated(id, Email.parse("Ada@example.com"),
                Username.parse("ada-v1"), new PasswordHash("$argon2id$old"),
                new Profile("Ada", "", "https://example.com/a.png"), AT));
        User user = User.fromHistory(history.stream().map(RecordedUserEvent::event).toList());
        assertThat(user.version()).isEqualTo(2);
        assertThat(user.email().value()).isEqualTo("Ada@example.com");
    }

    @Test
    void a_schema_version_newer_than_the_code_is_refused_loudly_not_misread() throws Exception {
        UserId id = new UserId(UUID.randomUUID());
        insert(id, 1, "UserCreated", 3, "{\"data\": {}, \"personal\": {}}");

        assertThatThrownBy(() -> store.load(id)).hasMessageContaining("unknown schema version 3 of UserCreated");
    }

    private static void insert(UserId id, long version, String type, int schemaVersion, String payload) throws Exception {
        try (Connection connection = db.rawConnection(); PreparedStatement insert = connection.prepareStatement("""
                INSERT INTO events (event_id, stream_id, stream_type, version, event_type, schema_version, payload,
                                    metadata, occurred_at)
                VALUES (?, ?, 'user', ?, ?, ?, ?::jsonb, '{"correlation_id":"old","actor":"migration"}', ?)
                """)) {
            insert.setObject(1, UUID.randomUUID());
            insert.setObject(2, id.value());
            insert.setLong(3, version);
            insert.setString(4, type);
            insert.setInt(5, schemaVersion);
            insert.setString(6, payload);
            insert.setTimestamp(7, java.sql.Timestamp.from(AT));
            insert.executeUpdate();
        }
    }
}
