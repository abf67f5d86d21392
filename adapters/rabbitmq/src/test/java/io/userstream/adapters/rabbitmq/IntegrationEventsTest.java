package io.userstream.adapters.rabbitmq;

import io.userstream.application.port.out.EventMetadata;
import io.userstream.application.port.out.RecordedUserEvent;
import io.userstream.domain.user.Email;
import io.userstream.domain.user.PasswordHash;
import io.userstream.domain.user.Profile;
import io.userstream.domain.user.UserEvent;
import io.userstream.domain.user.UserId;
import io.userstream.domain.user.Username;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

class IntegrationEventsTest {

    private static final UserId USER = new UserId(UUID.randomUUID());
    private static final Instant AT = Instant.parse("2026-03-04T05:06:07.123456Z");

    @Test
    void every_event_type_has_its_routing_key() {
        List<UserEvent> events = List.of(
                new UserEvent.UserCreated(USER, Email.parse("ada@example.com"), Username.parse("ada"),
                        new PasswordHash("$argon2id$secret-hash"), new Profile("Ada", "Lovelace", "https://a.example/x.png"), AT),
                new UserEvent.EmailChanged(USER, Email.parse("ada@example.com"), Email.parse("countess@example.org"), AT),
                new UserEvent.PasswordChanged(USER, new PasswordHash("$argon2id$other-hash"), AT),
                new UserEvent.ProfileUpdated(USER, new Profile("Augusta", "King", ""), AT),
                new UserEvent.UserActivated(USER, AT),
                new UserEvent.UserDeactivated(USER, AT),
                new UserEvent.UserDeleted(USER, AT));
        List<String> keys = List.of("user.created", "user.email_changed", "user.password_changed",
                "user.profile_updated", "user.activated", "user.deactivated", "user.deleted");

        for (int i = 0; i < events.size(); i++) {
            RecordedUserEvent recorded = recorded(events.get(i), i + 1);
            var message = IntegrationEvents.toMessage(recorded);
            assertThat(message.getEventType()).isEqualTo(keys.get(i));
            assertThat(IntegrationEvents.routingKey(events.get(i))).isEqualTo(keys.get(i));
        }
    }

    @Test
    void messages_carry_no_password_hash_and_no_personal_data() {
        for (UserEvent event : List.of(
                new UserEvent.UserCreated(USER, Email.parse("ada@example.com"), Username.parse("ada"),
                        new PasswordHash("$argon2id$secret-hash"), new Profile("Ada", "Lovelace", "https://a.example/x.png"), AT),
                new UserEvent.EmailChanged(USER, Email.parse("ada@example.com"), Email.parse("countess@example.org"), AT),
                new UserEvent.PasswordChanged(USER, new PasswordHash("$argon2id$other-hash"), AT),
                new UserEvent.ProfileUpdated(USER, new Profile("Augusta", "King", ""), AT))) {
            String wire = new String(IntegrationEvents.toMessage(recorded(event, 1)).toByteArray(), StandardCharsets.ISO_8859_1);
            assertThat(wire).doesNotContain("argon2", "example.com", "example.org", "Ada", "Lovelace", "Augusta", "King",
                    "a.example");
        }
    }

    private static RecordedUserEvent recorded(UserEvent event, long version) {
        return new RecordedUserEvent(UUID.randomUUID(), version, 100 + version, event,
                new EventMetadata("corr", Optional.empty(), "tester"), AT);
    }
}
