package io.userstream.domain.user;

import static io.userstream.domain.user.UserSpecification.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.userstream.domain.user.UserEvent.EmailChanged;
import io.userstream.domain.user.UserEvent.PasswordChanged;
import io.userstream.domain.user.UserEvent.ProfileUpdated;
import io.userstream.domain.user.UserEvent.UserActivated;
import io.userstream.domain.user.UserEvent.UserCreated;
import io.userstream.domain.user.UserEvent.UserDeactivated;
import io.userstream.domain.user.UserEvent.UserDeleted;
import io.userstream.domain.user.UserRejection.UserIsDeleted;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Stream;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class UserTest {

    static final Instant T0 = Instant.parse("2024-03-01T09:00:00Z");
    static final Instant T1 = Instant.parse("2024-03-02T10:15:00Z");
    static final Instant T2 = Instant.parse("2024-03-03T11:30:00Z");
    static final Instant T3 = Instant.parse("2024-03-04T12:45:00Z");
    static final Instant T4 = Instant.parse("2024-03-05T14:00:00Z");
    static final Instant T5 = Instant.parse("2024-03-06T15:15:00Z");
    static final Instant T6 = Instant.parse("2024-03-07T16:30:00Z");

    static final UserId ID = UserId.parse("0190c8a2-6f3e-7b1a-9c4d-2e5f6a7b8c9d");
    static final Email EMAIL = Email.parse("ada@example.com");
    static final Email NEW_EMAIL = Email.parse("ada.lovelace@analytical.org");
    static final Username USERNAME = Username.parse("ada");
    static final PasswordHash HASH = new PasswordHash("$argon2id$v=19$m=19456,t=2,p=1$c2FsdDE$aGFzaDE");
    static final PasswordHash NEW_HASH = new PasswordHash("$argon2id$v=19$m=19456,t=2,p=1$c2FsdDI$aGFzaDI");
    static final Profile PROFILE = new Profile("Ada", "Lovelace", "https://example.com/ada.png");

    static UserCreated created() {
        return new UserCreated(ID, EMAIL, USERNAME, HASH, PROFILE, T0);
    }

    static ProfileChange change(String firstName, String lastName, String avatarUrl) {
        return new ProfileChange(Optional.ofNullable(firstName), Optional.ofNullable(lastName),
                Optional.ofNullable(avatarUrl));
    }

    @Nested
    @DisplayName("create")
    class Create {

        @Test
        void registers_a_user_with_everything_given() {
            User user = given()
                    .when(nobody -> User.create(ID, EMAIL, USERNAME, HASH, PROFILE, T0))
                    .thenEvents(new UserCreated(ID, EMAIL, USERNAME, HASH, PROFILE, T0));

            assertThat(user.id()).isEqualTo(ID);
            assertThat(user.email()).isEqualTo(EMAIL);
            assertThat(user.username()).isEqualTo(USERNAME);
            assertThat(user.passwordHash()).isEqualTo(HASH);
            assertThat(user.profile()).isEqualTo(PROFILE);
            assertThat(user.status()).isEqualTo(UserStatus.ACTIVE);
            assertThat(user.createdAt()).isEqualTo(T0);
            assertThat(user.updatedAt()).isEqualTo(T0);
            assertThat(user.deletedAt()).isNull();
            assertThat(user.version()).isEqualTo(1);
        }

        @Test
        void registers_a_user_without_a_profile() {
            User user = given()
                    .when(nobody -> User.create(ID, EMAIL, USERNAME, HASH, Profile.EMPTY, T0))
                    .thenEvents(new UserCreated(ID, EMAIL, USERNAME, HASH, Profile.EMPTY, T0));

            assertThat(user.profile()).isEqualTo(new Profile("", "", ""));
        }
    }

    @Nested
    @DisplayName("changeEmail")
    class ChangeEmail {

        @Test
        void records_the_old_and_the_new_address() {
            User user = given(created())
                    .when(u -> u.changeEmail(NEW_EMAIL, T1))
                    .thenEvents(new EmailChanged(ID, EMAIL, NEW_EMAIL, T1));

            assertThat(user.email()).isEqualTo(NEW_EMAIL);
            assertThat(user.updatedAt()).isEqualTo(T1);
            assertThat(user.createdAt()).isEqualTo(T0);
            assertThat(user.version()).isEqualTo(2);
        }

        @Test
        void the_old_address_is_the_current_one_not_the_registered_one() {
            Email third = Email.parse("countess@lovelace.uk");
            given(created(), new EmailChanged(ID, EMAIL, NEW_EMAIL, T1))
                    .when(u -> u.changeEmail(third, T2))
                    .thenEvents(new EmailChanged(ID, NEW_EMAIL, third, T2));
        }

        @Test
        void changing_back_to_a_previous_address_is_recorded() {
            given(created(), new EmailChanged(ID, EMAIL, NEW_EMAIL, T1))
                    .when(u -> u.changeEmail(EMAIL, T2))
                    .thenEvents(new EmailChanged(ID, NEW_EMAIL, EMAIL, T2));
        }

        @Test
        void the_same_address_records_nothing() {
            given(created())
                    .when(u -> u.changeEmail(Email.parse("ada@example.com"), T1))
                    .thenNothingHappens();
        }

        @Test
        void the_same_address_with_a_differently_cased_domain_records_nothing() {
            given(created())
                    .when(u -> u.changeEmail(Email.parse("  ada@EXAMPLE.Com "), T1))
                    .thenNothingHappens();
        }

        @Test
        void correcting_the_case_of_the_local_part_is_a_change() {
            Email capitalised = Email.parse("Ada@example.com");
            User user = given(created())
                    .when(u -> u.changeEmail(capitalised, T1))
                    .thenEvents(new EmailChanged(ID, EMAIL, capitalised, T1));

            assertThat(user.email().value()).isEqualTo("Ada@example.com");
        }

        @Test
        void is_possible_for_an_inactive_user() {
            User user = given(created(), new UserDeactivated(ID, T1))
                    .when(u -> u.changeEmail(NEW_EMAIL, T2))
                    .thenEvents(new EmailChanged(ID, EMAIL, NEW_EMAIL, T2));

            assertThat(user.status()).isEqualTo(UserStatus.INACTIVE);
        }
    }

    @Nested
    @DisplayName("changePassword")
    class ChangePassword {

        @Test
        void records_the_new_hash() {
            User user = given(created())
                    .when(u -> u.changePassword(NEW_HASH, T1))
                    .thenEvents(new PasswordChanged(ID, NEW_HASH, T1));

            assertThat(user.passwordHash()).isEqualTo(NEW_HASH);
            assertThat(user.updatedAt()).isEqualTo(T1);
            assertThat(user.version()).isEqualTo(2);
        }

        @Test
        void is_always_recorded_even_with_the_same_hash() {
            given(created())
                    .when(u -> u.changePassword(HASH, T1))
                    .thenEvents(new PasswordChanged(ID, HASH, T1));
        }

        @Test
        void is_possible_for_an_inactive_user() {
            given(created(), new UserDeactivated(ID, T1))
                    .when(u -> u.changePassword(NEW_HASH, T2))
                    .thenEvents(new PasswordChanged(ID, NEW_HASH, T2));
        }
    }

    @Nested
    @DisplayName("updateProfile")
    class UpdateProfile {

        @Test
        void records_the_whole_new_profile() {
            Profile expected = new Profile("Augusta", "King", "https://example.org/augusta.jpg");
            User user = given(created())
                    .when(u -> u.updateProfile(change("Augusta", "King", "https://example.org/augusta.jpg"), T1))
                    .thenEvents(new ProfileUpdated(ID, expected, T1));

            assertThat(user.profile()).isEqualTo(expected);
            assertThat(user.updatedAt()).isEqualTo(T1);
            assertThat(user.version()).isEqualTo(2);
        }

        @Test
        void a_partial_change_keeps_the_untouched_fields() {
            User user = given(created())
                    .when(u -> u.updateProfile(change("Augusta", null, null), T1))
                    .thenEvents(new ProfileUpdated(ID,
                            new Profile("Augusta", "Lovelace", "https://example.com/ada.png"), T1));

            assertThat(user.profile().lastName()).isEqualTo("Lovelace");
            assertThat(user.profile().avatarUrl()).isEqualTo("https://example.com/ada.png");
        }

        @Test
        void a_partial_change_builds_on_the_latest_profile() {
            given(created(), new ProfileUpdated(ID, new Profile("Augusta", "Lovelace", ""), T1))
                    .when(u -> u.updateProfile(change(null, "King", null), T2))
                    .thenEvents(new ProfileUpdated(ID, new Profile("Augusta", "King", ""), T2));
        }

        @Test
        void an_empty_string_clears_a_field() {
            User user = given(created())
                    .when(u -> u.updateProfile(change(null, null, ""), T1))
                    .thenEvents(new ProfileUpdated(ID, new Profile("Ada", "Lovelace", ""), T1));

            assertThat(user.profile().avatarUrl()).isEmpty();
        }

        @Test
        void empty_strings_clear_every_field() {
            given(created())
                    .when(u -> u.updateProfile(change("", "", ""), T1))
                    .thenEvents(new ProfileUpdated(ID, Profile.EMPTY, T1));
        }

        @Test
        void filling_in_an_empty_profile_is_recorded() {
            given(new UserCreated(ID, EMAIL, USERNAME, HASH, Profile.EMPTY, T0))
                    .when(u -> u.updateProfile(change("Ada", null, null), T1))
                    .thenEvents(new ProfileUpdated(ID, new Profile("Ada", "", ""), T1));
        }

        @Test
        void the_same_values_again_record_nothing() {
            given(created())
                    .when(u -> u.updateProfile(change("Ada", "Lovelace", "https://example.com/ada.png"), T1))
                    .thenNothingHappens();
        }

        @Test
        void a_partial_change_to_the_current_value_records_nothing() {
            given(created())
                    .when(u -> u.updateProfile(change(null, "Lovelace", null), T1))
                    .thenNothingHappens();
        }

        @Test
        void a_change_that_names_no_field_records_nothing() {
            given(created())
                    .when(u -> u.updateProfile(change(null, null, null), T1))
                    .thenNothingHappens();
        }

        @Test
        void clearing_an_already_empty_field_records_nothing() {
            given(new UserCreated(ID, EMAIL, USERNAME, HASH, Profile.EMPTY, T0))
                    .when(u -> u.updateProfile(change("", "", ""), T1))
                    .thenNothingHappens();
        }
    }

    @Nested
    @DisplayName("activate")
    class Activate {

        @Test
        void brings_an_inactive_user_back() {
            User user = given(created(), new UserDeactivated(ID, T1))
                    .when(u -> u.activate(T2))
                    .thenEvents(new UserActivated(ID, T2));

            assertThat(user.status()).isEqualTo(UserStatus.ACTIVE);
            assertThat(user.updatedAt()).isEqualTo(T2);
            assertThat(user.version()).isEqualTo(3);
        }

        @Test
        void a_newly_created_user_is_already_active_so_nothing_happens() {
            given(created())
                    .when(u -> u.activate(T1))
                    .thenNothingHappens();
        }

        @Test
        void a_reactivated_user_is_already_active_so_nothing_happens() {
            given(created(), new UserDeactivated(ID, T1), new UserActivated(ID, T2))
                    .when(u -> u.activate(T3))
                    .thenNothingHappens();
        }
    }

    @Nested
    @DisplayName("deactivate")
    class Deactivate {

        @Test
        void suspends_an_active_user() {
            User user = given(created())
                    .when(u -> u.deactivate(T1))
                    .thenEvents(new UserDeactivated(ID, T1));

            assertThat(user.status()).isEqualTo(UserStatus.INACTIVE);
            assertThat(user.updatedAt()).isEqualTo(T1);
            assertThat(user.version()).isEqualTo(2);
        }

        @Test
        void suspends_a_reactivated_user_again() {
            given(created(), new UserDeactivated(ID, T1), new UserActivated(ID, T2))
                    .when(u -> u.deactivate(T3))
                    .thenEvents(new UserDeactivated(ID, T3));
        }

        @Test
        void an_inactive_user_stays_as_is() {
            given(created(), new UserDeactivated(ID, T1))
                    .when(u -> u.deactivate(T2))
                    .thenNothingHappens();
        }
    }

    @Nested
    @DisplayName("delete")
    class Delete {

        @Test
        void soft_deletes_an_active_user() {
            User user = given(created())
                    .when(u -> u.delete(T1))
                    .thenEvents(new UserDeleted(ID, T1));

            assertThat(user.status()).isEqualTo(UserStatus.DELETED);
            assertThat(user.deletedAt()).isEqualTo(T1);
            assertThat(user.updatedAt()).isEqualTo(T1);
            assertThat(user.version()).isEqualTo(2);
            // soft delete: the data is still there
            assertThat(user.email()).isEqualTo(EMAIL);
            assertThat(user.username()).isEqualTo(USERNAME);
            assertThat(user.profile()).isEqualTo(PROFILE);
        }

        @Test
        void soft_deletes_an_inactive_user() {
            User user = given(created(), new UserDeactivated(ID, T1))
                    .when(u -> u.delete(T2))
                    .thenEvents(new UserDeleted(ID, T2));

            assertThat(user.status()).isEqualTo(UserStatus.DELETED);
            assertThat(user.deletedAt()).isEqualTo(T2);
        }

        @Test
        void deleting_twice_is_rejected() {
            UserIsDeleted rejection = given(created(), new UserDeleted(ID, T1))
                    .when(u -> u.delete(T2))
                    .thenRejected(UserIsDeleted.class);

            assertThat(rejection).isEqualTo(new UserIsDeleted(ID));
            assertThat(rejection.message()).isEqualTo("user " + ID + " is deleted");
        }
    }

    @Nested
    @DisplayName("a deleted user")
    class DeletedUser {

        static Stream<Arguments> everyCommand() {
            return Stream.of(
                    Arguments.of("changeEmail (new address)",
                            (Function<User, List<UserEvent>>) u -> u.changeEmail(NEW_EMAIL, T3)),
                    Arguments.of("changeEmail (same address)",
                            (Function<User, List<UserEvent>>) u -> u.changeEmail(EMAIL, T3)),
                    Arguments.of("changePassword",
                            (Function<User, List<UserEvent>>) u -> u.changePassword(NEW_HASH, T3)),
                    Arguments.of("updateProfile (real change)",
                            (Function<User, List<UserEvent>>) u -> u.updateProfile(change("Augusta", null, null), T3)),
                    Arguments.of("updateProfile (no change)",
                            (Function<User, List<UserEvent>>) u -> u.updateProfile(change(null, null, null), T3)),
                    Arguments.of("activate",
                            (Function<User, List<UserEvent>>) u -> u.activate(T3)),
                    Arguments.of("deactivate",
                            (Function<User, List<UserEvent>>) u -> u.deactivate(T3)),
                    Arguments.of("delete",
                            (Function<User, List<UserEvent>>) u -> u.delete(T3)));
        }

        @ParameterizedTest(name = "{0} is rejected")
        @MethodSource("everyCommand")
        void rejects_every_command(String name, Function<User, List<UserEvent>> command) {
            UserIsDeleted rejection = given(created(), new UserDeleted(ID, T1))
                    .when(command)
                    .thenRejected(UserIsDeleted.class);

            assertThat(rejection.userId()).isEqualTo(ID);
        }

        @ParameterizedTest(name = "{0} is rejected")
        @MethodSource("everyCommand")
        void rejects_every_command_even_if_it_was_deleted_while_inactive(
                String name, Function<User, List<UserEvent>> command) {
            given(created(), new UserDeactivated(ID, T1), new UserDeleted(ID, T2))
                    .when(command)
                    .thenRejected(UserIsDeleted.class);
        }
    }

    @Nested
    @DisplayName("fromHistory")
    class FromHistory {

        @Test
        void folds_every_field_from_a_long_history() {
            Profile newProfile = new Profile("Augusta", "King", "");
            User user = User.fromHistory(List.of(
                    created(),
                    new EmailChanged(ID, EMAIL, NEW_EMAIL, T1),
                    new PasswordChanged(ID, NEW_HASH, T2),
                    new ProfileUpdated(ID, newProfile, T3),
                    new UserDeactivated(ID, T4),
                    new UserActivated(ID, T5)));

            assertThat(user.id()).isEqualTo(ID);
            assertThat(user.email()).isEqualTo(NEW_EMAIL);
            assertThat(user.username()).isEqualTo(USERNAME);
            assertThat(user.passwordHash()).isEqualTo(NEW_HASH);
            assertThat(user.profile()).isEqualTo(newProfile);
            assertThat(user.status()).isEqualTo(UserStatus.ACTIVE);
            assertThat(user.createdAt()).isEqualTo(T0);
            assertThat(user.updatedAt()).isEqualTo(T5);
            assertThat(user.deletedAt()).isNull();
            assertThat(user.version()).isEqualTo(6);
        }

        @Test
        void a_history_ending_in_deletion_gives_a_deleted_user() {
            User user = User.fromHistory(List.of(
                    created(),
                    new UserDeactivated(ID, T1),
                    new UserDeleted(ID, T2)));

            assertThat(user.status()).isEqualTo(UserStatus.DELETED);
            assertThat(user.deletedAt()).isEqualTo(T2);
            assertThat(user.updatedAt()).isEqualTo(T2);
            assertThat(user.createdAt()).isEqualTo(T0);
            assertThat(user.version()).isEqualTo(3);
        }

        @Test
        void the_latest_of_repeated_events_wins() {
            Email third = Email.parse("countess@lovelace.uk");
            User user = User.fromHistory(List.of(
                    created(),
                    new EmailChanged(ID, EMAIL, NEW_EMAIL, T1),
                    new EmailChanged(ID, NEW_EMAIL, third, T2),
                    new UserDeactivated(ID, T3)));

            assertThat(user.email()).isEqualTo(third);
            assertThat(user.status()).isEqualTo(UserStatus.INACTIVE);
            assertThat(user.updatedAt()).isEqualTo(T3);
            assertThat(user.version()).isEqualTo(4);
        }

        @Test
        void the_version_is_the_number_of_events() {
            List<UserEvent> history = List.of(
                    created(),
                    new UserDeactivated(ID, T1),
                    new UserActivated(ID, T2),
                    new PasswordChanged(ID, NEW_HASH, T3),
                    new PasswordChanged(ID, HASH, T4),
                    new UserDeactivated(ID, T5),
                    new UserDeleted(ID, T6));

            for (int n = 1; n <= history.size(); n++) {
                assertThat(User.fromHistory(history.subList(0, n)).version())
                        .as("version after %d events", n)
                        .isEqualTo(n);
            }
        }

        @Test
        void evolving_a_user_gives_the_same_state_as_folding_the_whole_history() {
            List<UserEvent> later = List.of(
                    new EmailChanged(ID, EMAIL, NEW_EMAIL, T1),
                    new UserDeleted(ID, T2));
            User evolved = User.fromHistory(List.of(created())).evolve(later);
            User folded = User.fromHistory(List.of(created(), later.get(0), later.get(1)));

            assertThat(evolved.email()).isEqualTo(folded.email()).isEqualTo(NEW_EMAIL);
            assertThat(evolved.status()).isEqualTo(folded.status()).isEqualTo(UserStatus.DELETED);
            assertThat(evolved.deletedAt()).isEqualTo(folded.deletedAt()).isEqualTo(T2);
            assertThat(evolved.version()).isEqualTo(folded.version()).isEqualTo(3);
        }

        @Test
        void an_empty_history_is_refused() {
            assertThatThrownBy(() -> User.fromHistory(List.of()))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("starts with UserCreated");
        }

        @Test
        void a_history_not_starting_with_user_created_is_refused() {
            assertThatThrownBy(() -> User.fromHistory(List.of(
                    new EmailChanged(ID, EMAIL, NEW_EMAIL, T1),
                    created())))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("starts with UserCreated");
        }

        @Test
        void a_second_user_created_cannot_be_folded() {
            assertThatThrownBy(() -> User.fromHistory(List.of(created(), created())))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining(ID.toString());
        }
    }
}
