package io.userstream.domain.user;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.userstream.domain.user.UserEvent.EmailChanged;
import io.userstream.domain.user.UserEvent.PasswordChanged;
import io.userstream.domain.user.UserEvent.ProfileUpdated;
import io.userstream.domain.user.UserEvent.UserActivated;
import io.userstream.domain.user.UserEvent.UserCreated;
import io.userstream.domain.user.UserEvent.UserDeactivated;
import io.userstream.domain.user.UserEvent.UserDeleted;

import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;

/** Importing a legacy row as a user's first events, and following later changes of that row. */
class LegacyImportTest {

    static final Instant REGISTERED = Instant.parse("2019-05-04T08:00:00Z");
    static final Instant NOW = Instant.parse("2026-12-01T10:00:00Z");
    static final UserId ID = UserId.parse("0190c8a2-6f3e-7b1a-9c4d-2e5f6a7b8c9d");
    static final PasswordHash BCRYPT = new PasswordHash("$2b$10$abcdefghijklmnopqrstuu5Ub3Pzc0Kz6f8Fqgxw3jOMbmTMBi3Xe");
    static final PasswordHash ARGON = new PasswordHash("$argon2id$v=19$m=19456,t=2,p=1$c2FsdDE$aGFzaDE");

    static LegacyUser row(String email, String username, PasswordHash hash, Profile profile, UserStatus status) {
        return new LegacyUser(ID, Email.parse(email), Username.parse(username), hash, profile, status, REGISTERED);
    }

    static LegacyUser active() {
        return row("grace@example.com", "grace", BCRYPT, new Profile("Grace", "Hopper", ""), UserStatus.ACTIVE);
    }

    @Test
    void an_active_row_becomes_one_registration_dated_when_the_legacy_system_registered_it() {
        List<UserEvent> events = User.importLegacy(active(), NOW);

        assertThat(events).singleElement().isInstanceOfSatisfying(UserCreated.class, created -> {
            assertThat(created.occurredAt()).isEqualTo(REGISTERED);
            assertThat(created.passwordHash()).as("the legacy hash is carried over as it is").isEqualTo(BCRYPT);
        });
        User user = User.fromHistory(events);
        assertThat(user.createdAt()).isEqualTo(REGISTERED);
        assertThat(user.status()).isEqualTo(UserStatus.ACTIVE);
    }

    @Test
    void an_inactive_or_deleted_row_is_registered_then_deactivated_or_deleted() {
        LegacyUser inactive = row("grace@example.com", "grace", BCRYPT, Profile.EMPTY, UserStatus.INACTIVE);
        LegacyUser deleted = row("grace@example.com", "grace", BCRYPT, Profile.EMPTY, UserStatus.DELETED);

        assertThat(User.importLegacy(inactive, NOW)).hasExactlyElementsOfTypes(UserCreated.class, UserDeactivated.class);
        assertThat(User.fromHistory(User.importLegacy(deleted, NOW)).status()).isEqualTo(UserStatus.DELETED);
    }

    @Test
    void a_row_without_a_registration_date_is_registered_now() {
        LegacyUser undated = new LegacyUser(ID, Email.parse("ann@example.com"), Username.parse("ann"), BCRYPT,
                Profile.EMPTY, UserStatus.ACTIVE, null);

        assertThat(User.fromHistory(User.importLegacy(undated, NOW)).createdAt()).isEqualTo(NOW);
    }

    @Test
    void a_row_that_did_not_change_decides_nothing() {
        User user = User.fromHistory(User.importLegacy(active(), NOW));

        assertThat(user.reconcile(active(), false, NOW)).isEmpty();
        assertThat(user.reconcile(active(), true, NOW)).as("same hash, nothing to record").isEmpty();
    }

    @Test
    void every_changed_field_becomes_its_event_in_order() {
        User user = User.fromHistory(User.importLegacy(active(), NOW));
        PasswordHash newBcrypt = new PasswordHash("$2b$10$zyxwvutsrqponmlkjihgfeu5Ub3Pzc0Kz6f8Fqgxw3jOMbmTMBi3Xe");
        LegacyUser changed = row("grace.hopper@navy.mil", "grace", newBcrypt, new Profile("Grace", "Hopper", "https://x.org/g.png"),
                UserStatus.INACTIVE);

        List<UserEvent> events = user.reconcile(changed, true, NOW);

        assertThat(events).hasExactlyElementsOfTypes(EmailChanged.class, PasswordChanged.class, ProfileUpdated.class,
                UserDeactivated.class);
        User after = user.evolve(events);
        assertThat(after.email().value()).isEqualTo("grace.hopper@navy.mil");
        assertThat(after.passwordHash()).isEqualTo(newBcrypt);
        assertThat(after.profile().avatarUrl()).isEqualTo("https://x.org/g.png");
        assertThat(after.status()).isEqualTo(UserStatus.INACTIVE);
        assertThat(after.reconcile(changed, true, NOW)).as("reached: nothing more").isEmpty();
    }

    @Test
    void a_hash_rehashed_since_the_import_is_kept_while_the_legacy_hash_stays_the_same() {
        User rehashed = User.fromHistory(User.importLegacy(active(), NOW))
                .evolve(new PasswordChanged(ID, ARGON, NOW));

        assertThat(rehashed.reconcile(active(), false, NOW)).as("the legacy hash did not change").isEmpty();
        assertThat(rehashed.reconcile(active(), true, NOW)).as("the legacy application set a new password")
                .singleElement().isInstanceOf(PasswordChanged.class);
    }

    @Test
    void a_reactivated_row_activates_the_user() {
        User inactive = User.fromHistory(User.importLegacy(
                row("grace@example.com", "grace", BCRYPT, new Profile("Grace", "Hopper", ""), UserStatus.INACTIVE), NOW));

        assertThat(inactive.reconcile(active(), false, NOW)).singleElement().isInstanceOf(UserActivated.class);
    }

    @Test
    void a_deleted_row_deletes_the_user_once() {
        User user = User.fromHistory(User.importLegacy(active(), NOW));
        LegacyUser deleted = row("grace@example.com", "grace", BCRYPT, new Profile("Grace", "Hopper", ""), UserStatus.DELETED);

        List<UserEvent> events = user.reconcile(deleted, false, NOW);

        assertThat(events).singleElement().isInstanceOf(UserDeleted.class);
        assertThat(user.evolve(events).reconcile(deleted, false, NOW)).isEmpty();
    }

    @Test
    void a_deleted_user_whose_row_lives_again_is_refused() {
        User deleted = User.fromHistory(User.importLegacy(
                row("grace@example.com", "grace", BCRYPT, new Profile("Grace", "Hopper", ""), UserStatus.DELETED), NOW));

        assertThatThrownBy(() -> deleted.reconcile(active(), false, NOW))
                .isInstanceOfSatisfying(UserRejectedException.class, e ->
                        assertThat(e.rejection()).isInstanceOf(UserRejection.UserIsDeleted.class));
    }

    @Test
    void a_renamed_row_is_refused_naming_both_usernames() {
        User user = User.fromHistory(User.importLegacy(active(), NOW));
        LegacyUser renamed = row("grace@example.com", "amazing_grace", BCRYPT, new Profile("Grace", "Hopper", ""),
                UserStatus.ACTIVE);

        assertThatThrownBy(() -> user.reconcile(renamed, false, NOW))
                .isInstanceOf(UserRejectedException.class)
                .hasMessageContaining("'grace'").hasMessageContaining("'amazing_grace'");
    }
}
