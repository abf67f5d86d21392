package io.userstream.adapters.rabbitmq;

import io.userstream.application.port.out.EventMetadata;
import io.userstream.application.port.out.RecordedUserEvent;
import io.userstream.domain.stats.ActivityType;
import io.userstream.domain.stats.UserActivity;
import io.userstream.domain.user.Email;
import io.userstream.domain.user.PasswordHash;
import io.userstream.domain.user.Profile;
import io.userstream.domain.user.UserEvent;
import io.userstream.domain.user.UserId;
import io.userstream.domain.user.Username;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The integration contract between the two services, both ends at once: what user-service's publisher
 * ({@link IntegrationEvents}, adapters/rabbitmq) writes, user-stats-service's consumer
 * ({@link UserActivityMessages}, adapters/rabbitmq-stats) reads as the same activity. It lives here, in the
 * module that has both services on its class path, because neither service's module has the other's end.
 */
class IntegrationContractTest {

    private static final UserId USER = new UserId(UUID.randomUUID());
    private static final Instant AT = Instant.parse("2026-03-04T05:06:07.123456Z");

    @Test
    void every_event_type_has_its_routing_key_and_round_trips_to_what_stats_needs() {
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
        List<ActivityType> types = List.of(ActivityType.values());

        for (int i = 0; i < events.size(); i++) {
            RecordedUserEvent recorded = recorded(events.get(i), i + 1);
            var message = IntegrationEvents.toMessage(recorded);
            assertThat(message.getEventType()).isEqualTo(keys.get(i));
            assertThat(IntegrationEvents.routingKey(events.get(i))).isEqualTo(keys.get(i));

            UserActivity activity = UserActivityMessages.toActivity(message.toByteArray());
            assertThat(activity).isEqualTo(new UserActivity(recorded.eventId(), USER.value(), i + 1, AT, types.get(i)));
        }
    }

    private static RecordedUserEvent recorded(UserEvent event, long version) {
        return new RecordedUserEvent(UUID.randomUUID(), version, 100 + version, event,
                new EventMetadata("corr", Optional.empty(), "tester"), AT);
    }
}
