package io.userstream.adapters.postgres;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.userstream.application.port.out.AppendOutcome;
import io.userstream.application.port.out.AppendRequest;
import io.userstream.application.port.out.EventMetadata;
import io.userstream.application.port.out.NewUserEvent;
import io.userstream.application.port.out.ReservationChanges;
import io.userstream.application.view.AuditEntry;
import io.userstream.domain.user.Email;
import io.userstream.domain.user.PasswordHash;
import io.userstream.domain.user.Profile;
import io.userstream.domain.user.UserEvent;
import io.userstream.domain.user.UserId;
import io.userstream.domain.user.Username;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

class PostgresAuditTrailTest {

    private static final Instant T0 = Instant.parse("2026-01-02T03:04:05.123456Z");
    private static final String FIRST_HASH = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$Zmlyc3Q";
    private static final String SECOND_HASH = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$c2Vjb25k";
    private static final EventMetadata BY_ADMIN = new EventMetadata("corr-1", Optional.of("cause-1"), "admin-7");
    private static final EventMetadata BY_USER = new EventMetadata("corr-2", Optional.empty(), "user-1");
    private static final ObjectMapper JSON = new ObjectMapper();

    private static TestDatabase db;
    private static PostgresUserEventStore store;
    private static PostgresAuditTrail auditTrail;

    @BeforeAll
    static void open() {
        db = TestDatabase.create();
        store = new PostgresUserEventStore(db.database());
        auditTrail = new PostgresAuditTrail(db.database().dbClient());
    }

    @AfterAll
    static void close() throws Exception {
        db.close();
    }

    @Test
    void shows_every_event_of_the_user_oldest_first_with_its_envelope_and_metadata() {
        UserId id = newId();
        String username = unique("ada");
        UserEvent created = created(id, username + "@example.com", username);
        UserEvent passwordChanged = new UserEvent.PasswordChanged(id, new PasswordHash(SECOND_HASH), T0.plusSeconds(1));
        UserEvent deleted = new UserEvent.UserDeleted(id, T0.plusSeconds(2));
        List<UUID> eventIds = List.of(UUID.randomUUID(), UUID.randomUUID(), UUID.randomUUID());
        append(id, 0, BY_ADMIN, List.of(new NewUserEvent(eventIds.get(0), created)));
        append(id, 1, BY_USER, List.of(new NewUserEvent(eventIds.get(1), passwordChanged),
                new NewUserEvent(eventIds.get(2), deleted)));
        appendCreation(newId(), unique("other")); // someone else's history stays out of it

        List<AuditEntry> history = auditTrail.history(id);

        assertThat(history).extracting(AuditEntry::eventId).containsExactlyElementsOf(eventIds);
        assertThat(history).extracting(AuditEntry::eventType)
                .containsExactly("UserCreated", "PasswordChanged", "UserDeleted");
        assertThat(history).extracting(AuditEntry::version).containsExactly(1L, 2L, 3L);
        assertThat(history).extracting(AuditEntry::occurredAt).containsExactly(T0, T0.plusSeconds(1), T0.plusSeconds(2));
        assertThat(history.get(0).position()).isLessThan(history.get(1).position());
        assertThat(history.get(1).position()).isLessThan(history.get(2).position());
        assertThat(history).allSatisfy(entry -> assertThat(entry.recordedAt()).isAfter(T0));
        AuditEntry first = history.get(0);
        assertThat(List.of(first.correlationId(), first.causationId(), first.actor()))
                .containsExactly("corr-1", "cause-1", "admin-7");
        AuditEntry second = history.get(1);
        assertThat(List.of(second.correlationId(), second.causationId(), second.actor()))
                .as("a missing causation id shows as empty").containsExactly("corr-2", "", "user-1");
    }

    @Test
    void the_data_is_one_flat_object_with_personal_data_and_without_any_password_hash() throws Exception {
        UserId id = newId();
        String username = unique("grace");
        String email = username + "@example.com";
        appendCreation(id, username);
        append(id, 1, BY_USER, List.of(
                new NewUserEvent(UUID.randomUUID(), new UserEvent.PasswordChanged(id, new PasswordHash(SECOND_HASH), T0)),
                new NewUserEvent(UUID.randomUUID(), new UserEvent.EmailChanged(id, Email.parse(email),
                        Email.parse("Grace@Navy.MIL"), T0)),
                new NewUserEvent(UUID.randomUUID(), new UserEvent.UserDeactivated(id, T0))));

        List<AuditEntry> history = auditTrail.history(id);

        assertThat(fields(history.get(0))).containsExactlyInAnyOrderEntriesOf(Map.of(
                "username", username,
                "password_hash", "[redacted]",
                "email", email,
                "first_name", "Grace",
                "last_name", "Hopper",
                "avatar_url", "https://example.com/grace.png"));
        assertThat(fields(history.get(1))).containsExactlyEntriesOf(Map.of("password_hash", "[redacted]"));
        assertThat(fields(history.get(2))).containsExactlyInAnyOrderEntriesOf(Map.of(
                "old_email", email, "new_email", "Grace@navy.mil"));
        assertThat(fields(history.get(3))).isEmpty();
        assertThat(history).extracting(AuditEntry::dataJson)
                .noneMatch(json -> json.contains("argon2id") || json.contains("\"data\"") || json.contains("\"personal\""));
    }

    @Test
    void a_user_that_never_existed_has_an_empty_history() {
        assertThat(auditTrail.history(newId())).isEmpty();
    }

    private static Map<String, String> fields(AuditEntry entry) throws Exception {
        JsonNode data = JSON.readTree(entry.dataJson());
        assertThat(data.isObject()).as("data is a JSON object: %s", entry.dataJson()).isTrue();
        Map<String, String> fields = new LinkedHashMap<>();
        data.properties().forEach(field -> fields.put(field.getKey(), field.getValue().asText()));
        return fields;
    }

    private static void appendCreation(UserId id, String username) {
        UserEvent created = created(id, username + "@example.com", username);
        append(id, 0, BY_ADMIN, List.of(new NewUserEvent(UUID.randomUUID(), created)));
    }

    private static void append(UserId id, long expectedVersion, EventMetadata metadata, List<NewUserEvent> events) {
        ReservationChanges reservations = expectedVersion == 0
                ? ReservationChanges.impliedBy(null, events.stream().map(NewUserEvent::event).toList())
                : ReservationChanges.NONE;
        AppendOutcome outcome = store.append(new AppendRequest(id, expectedVersion, events, reservations, metadata));
        assertThat(outcome).isEqualTo(new AppendOutcome.Appended(expectedVersion + events.size()));
    }

    private static UserEvent created(UserId id, String email, String username) {
        return new UserEvent.UserCreated(id, Email.parse(email), Username.parse(username), new PasswordHash(FIRST_HASH),
                new Profile("Grace", "Hopper", "https://example.com/grace.png"), T0);
    }

    private static UserId newId() {
        return new UserId(UUID.randomUUID());
    }

    private static String unique(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }
}
