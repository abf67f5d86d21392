package io.userstream.domain.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

class UserStatsTest {

    static final UUID USER = UUID.fromString("0190c8a2-6f3e-7b1a-9c4d-2e5f6a7b8c9d");
    static final UUID OTHER_USER = UUID.fromString("0190c8a2-6f3e-7b1a-9c4d-000000000002");
    static final Instant T0 = Instant.parse("2024-03-01T09:00:00Z");
    static final Instant NOW = Instant.parse("2024-04-01T00:00:00Z");
    static final Instant LATER = NOW.plus(Duration.ofHours(1));

    /** The event at {@code version} of {@link #USER}, happening one minute after the previous one. */
    static UserActivity event(long version, ActivityType type) {
        return new UserActivity(UUID.randomUUID(), USER, version, T0.plus(Duration.ofMinutes(version - 1)), type);
    }

    /** A history of {@link #USER}: CREATED, then {@code types} at versions 2, 3, ... */
    static List<UserActivity> history(ActivityType... types) {
        List<UserActivity> history = new ArrayList<>();
        history.add(event(1, ActivityType.CREATED));
        for (ActivityType type : types) {
            history.add(event(history.size() + 1, type));
        }
        return history;
    }

    @Nested
    @DisplayName("start")
    class Start {

        @Test
        void a_created_user_is_active_with_every_counter_at_zero() {
            UserStats stats = UserStats.start(event(1, ActivityType.CREATED), NOW);

            assertThat(stats).isEqualTo(new UserStats(USER, StatsStatus.ACTIVE, T0, 0, 0, 0, T0, 1, null, NOW, NOW));
        }

        @Test
        void needs_the_created_event() {
            assertThatThrownBy(() -> UserStats.start(event(1, ActivityType.EMAIL_CHANGED), NOW))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("start with the CREATED event at version 1, not EMAIL_CHANGED at version 1");
        }

        @Test
        void needs_version_1() {
            assertThatThrownBy(() -> UserStats.start(event(2, ActivityType.CREATED), NOW))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("not CREATED at version 2");
        }
    }

    @Nested
    @DisplayName("apply")
    class Apply {

        final UserStats started = UserStats.start(event(1, ActivityType.CREATED), NOW);

        @ParameterizedTest(name = "{0} counts")
        @CsvSource({
                "PROFILE_UPDATED, 1, 0, 0",
                "EMAIL_CHANGED,   0, 1, 0",
                "PASSWORD_CHANGED, 0, 0, 1",
        })
        void a_change_goes_up_its_own_counter(ActivityType type, long profileUpdates, long emailChanges,
                                              long passwordChanges) {
            UserActivity change = event(2, type);

            UserStats stats = started.apply(change, LATER);

            assertThat(stats).isEqualTo(new UserStats(USER, StatsStatus.ACTIVE, T0, profileUpdates, emailChanges,
                    passwordChanges, change.occurredAt(), 2, null, NOW, LATER));
        }

        @ParameterizedTest(name = "{0} sets {1}")
        @CsvSource({
                "DEACTIVATED, INACTIVE",
                "DELETED,     DELETED",
        })
        void a_status_event_sets_the_status_and_counts_nothing(ActivityType type, StatsStatus status) {
            UserStats stats = started.apply(event(2, type), LATER);

            assertThat(stats.status()).isEqualTo(status);
            assertThat(stats.profileUpdates() + stats.emailChanges() + stats.passwordChanges()).isZero();
            assertThat(stats.lastEventVersion()).isEqualTo(2);
        }

        @Test
        void activating_an_inactive_user_makes_it_active_again() {
            UserStats stats = started.apply(event(2, ActivityType.DEACTIVATED), LATER)
                    .apply(event(3, ActivityType.ACTIVATED), LATER);

            assertThat(stats.status()).isEqualTo(StatsStatus.ACTIVE);
        }

        @Test
        void keeps_when_the_stats_were_created_and_whether_they_were_repaired() {
            UserStats repaired = UserStats.fromHistory(history(), NOW, NOW);

            UserStats stats = repaired.apply(event(2, ActivityType.PROFILE_UPDATED), LATER);

            assertThat(stats.createdAt()).isEqualTo(NOW);
            assertThat(stats.repairedAt()).isEqualTo(NOW);
            assertThat(stats.updatedAt()).isEqualTo(LATER);
        }

        @Test
        void refuses_a_version_that_is_not_the_next() {
            assertThatThrownBy(() -> started.apply(event(3, ActivityType.PROFILE_UPDATED), LATER))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("are at version 1, so the next event must be version 2, not 3");
            assertThatThrownBy(() -> started.apply(event(1, ActivityType.PROFILE_UPDATED), LATER))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("must be version 2, not 1");
        }

        @Test
        void refuses_another_users_event() {
            UserActivity foreign = new UserActivity(UUID.randomUUID(), OTHER_USER, 2, T0, ActivityType.PROFILE_UPDATED);

            assertThatThrownBy(() -> started.apply(foreign, LATER))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("of user " + OTHER_USER + " cannot apply to the stats of user " + USER);
        }

        @Test
        void refuses_a_second_creation() {
            assertThatThrownBy(() -> started.apply(event(2, ActivityType.CREATED), LATER))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("CREATED cannot come again at version 2");
        }
    }

    @Nested
    @DisplayName("fromHistory")
    class FromHistory {

        @Test
        void folds_every_event_in_order() {
            List<UserActivity> history = history(ActivityType.PROFILE_UPDATED, ActivityType.EMAIL_CHANGED,
                    ActivityType.PROFILE_UPDATED, ActivityType.DEACTIVATED, ActivityType.PASSWORD_CHANGED,
                    ActivityType.ACTIVATED, ActivityType.PROFILE_UPDATED, ActivityType.DELETED);

            UserStats stats = UserStats.fromHistory(history, NOW, LATER);

            assertThat(stats).isEqualTo(new UserStats(USER, StatsStatus.DELETED, T0, 3, 1, 1,
                    history.getLast().occurredAt(), 9, LATER, NOW, NOW));
        }

        @Test
        void is_what_starting_and_applying_each_event_gives_when_it_is_no_repair() {
            List<UserActivity> history = history(ActivityType.EMAIL_CHANGED, ActivityType.DEACTIVATED);

            UserStats folded = UserStats.fromHistory(history, NOW, null);

            assertThat(folded).isEqualTo(UserStats.start(history.get(0), NOW)
                    .apply(history.get(1), NOW)
                    .apply(history.get(2), NOW));
            assertThat(folded.repairedAt()).isNull();
        }

        @Test
        void refuses_an_empty_history() {
            assertThatThrownBy(() -> UserStats.fromHistory(List.of(), NOW, null))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("this one is empty");
        }

        @Test
        void refuses_a_history_that_does_not_start_with_the_creation() {
            List<UserActivity> history = history(ActivityType.PROFILE_UPDATED).subList(1, 2);

            assertThatThrownBy(() -> UserStats.fromHistory(history, NOW, null))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("start with the CREATED event at version 1");
        }

        @Test
        void refuses_a_history_with_a_missing_version() {
            List<UserActivity> history = new ArrayList<>(history(ActivityType.PROFILE_UPDATED,
                    ActivityType.EMAIL_CHANGED));
            history.remove(1);

            assertThatThrownBy(() -> UserStats.fromHistory(history, NOW, null))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("must be version 2, not 3");
        }
    }

    @Nested
    @DisplayName("values")
    class Values {

        @Test
        void an_activity_has_a_version_of_at_least_1() {
            assertThatThrownBy(() -> new UserActivity(UUID.randomUUID(), USER, 0, T0, ActivityType.CREATED))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("starts at 1, not 0");
        }

        @ParameterizedTest
        @EnumSource(ActivityType.class)
        void an_activity_needs_every_field(ActivityType type) {
            assertThatThrownBy(() -> new UserActivity(null, USER, 1, T0, type)).isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> new UserActivity(UUID.randomUUID(), USER, 1, null, type))
                    .isInstanceOf(NullPointerException.class);
        }

        @Test
        void stats_refuse_negative_counters_and_a_version_below_1() {
            assertThatThrownBy(() -> new UserStats(USER, StatsStatus.ACTIVE, T0, -1, 0, 0, T0, 1, null, NOW, NOW))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("cannot be negative");
            assertThatThrownBy(() -> new UserStats(USER, StatsStatus.ACTIVE, T0, 0, 0, 0, T0, 0, null, NOW, NOW))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("not version 0");
        }
    }
}
