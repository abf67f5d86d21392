package io.userstream.application.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.userstream.application.fakes.FakePasswordHasher;
import io.userstream.application.fakes.FixedTimeSource;
import io.userstream.application.fakes.InMemoryLegacyImportLedger;
import io.userstream.application.fakes.InMemoryUserEventStore;
import io.userstream.application.fakes.SequentialIdGenerator;
import io.userstream.application.port.in.CommandContext;
import io.userstream.application.port.in.CreateUserUseCase.CreateUser;
import io.userstream.application.port.in.ImportLegacyUserUseCase.ImportResult;
import io.userstream.application.port.in.ImportLegacyUserUseCase.LegacyUserRow;
import io.userstream.application.port.in.ImportLegacyUserUseCase.Outcome;
import io.userstream.domain.user.FieldViolation;
import io.userstream.domain.user.PasswordHash;
import io.userstream.domain.user.UserEvent;
import io.userstream.domain.user.UserRejectedException;
import io.userstream.domain.user.UserRejection;
import io.userstream.domain.user.UserStatus;

import java.time.Instant;
import java.util.Optional;

import org.junit.jupiter.api.Test;

class LegacyImportServiceTest {

    static final Instant NOW = Instant.parse("2026-12-01T10:00:00Z");
    static final Instant REGISTERED = Instant.parse("2018-02-03T04:05:06Z");
    static final CommandContext CONTEXT = new CommandContext("migrate-1", Optional.empty(), "migration");
    static final String BCRYPT = "$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy";

    final InMemoryUserEventStore store = new InMemoryUserEventStore();
    final InMemoryLegacyImportLedger ledger = new InMemoryLegacyImportLedger();
    final FakePasswordHasher hasher = new FakePasswordHasher();
    final LegacyImportService imports = new LegacyImportService(store, ledger, hasher, new FixedTimeSource(NOW),
            new SequentialIdGenerator());

    static LegacyUserRow row(String legacyId, String email, String hash, UserStatus status) {
        return new LegacyUserRow("crm.users", legacyId, email, "user" + Integer.toHexString(legacyId.hashCode()), hash, "Ada", "Lovelace", null,
                status, REGISTERED);
    }

    @Test
    void a_new_row_is_created_once_and_a_second_run_records_nothing() {
        ImportResult first = imports.importLegacyUser(row("42", "ada@example.com", BCRYPT, UserStatus.ACTIVE), CONTEXT);
        ImportResult second = imports.importLegacyUser(row("42", "ada@example.com", BCRYPT, UserStatus.ACTIVE), CONTEXT);

        assertThat(first.outcome()).isEqualTo(Outcome.CREATED);
        assertThat(first.user().createdAt()).isEqualTo(REGISTERED);
        assertThat(first.user().passwordHash()).isEqualTo(new PasswordHash(BCRYPT));
        assertThat(second.outcome()).isEqualTo(Outcome.UNCHANGED);
        assertThat(second.eventsAppended()).isZero();
        assertThat(store.allEvents()).hasSize(1);
        assertThat(second.user().id()).isEqualTo(first.user().id());
    }

    @Test
    void the_user_id_is_the_legacy_uuid_or_a_stable_one_derived_from_source_and_id() {
        String uuid = "0190c8a2-6f3e-7b1a-9c4d-2e5f6a7b8c9d";
        ImportResult fromUuid = imports.importLegacyUser(row(uuid, "u@example.com", BCRYPT, UserStatus.ACTIVE), CONTEXT);

        assertThat(fromUuid.user().id().value()).hasToString(uuid);
        assertThat(LegacyImportService.userIdOf("crm.users", "42")).isEqualTo(LegacyImportService.userIdOf("crm.users", "42"))
                .isNotEqualTo(LegacyImportService.userIdOf("crm.users", "43"))
                .isNotEqualTo(LegacyImportService.userIdOf("shop.users", "42"));
    }

    @Test
    void a_changed_row_records_only_what_changed() {
        imports.importLegacyUser(row("7", "ada@example.com", BCRYPT, UserStatus.ACTIVE), CONTEXT);

        ImportResult changed = imports.importLegacyUser(row("7", "ada@newmail.org", BCRYPT, UserStatus.INACTIVE), CONTEXT);

        assertThat(changed.outcome()).isEqualTo(Outcome.UPDATED);
        assertThat(changed.eventsAppended()).isEqualTo(2);
        assertThat(store.events(changed.user().id())).extracting(e -> e.event().getClass().getSimpleName())
                .containsExactly("UserCreated", "EmailChanged", "UserDeactivated");
        assertThat(store.ownerOf(io.userstream.application.port.out.Reservation.of(
                io.userstream.domain.user.Email.parse("ada@example.com")))).as("the old address is free again").isEmpty();
    }

    @Test
    void a_hash_rehashed_after_a_password_check_is_not_put_back_by_a_later_run() {
        ImportResult imported = imports.importLegacyUser(row("9", "ada@example.com", BCRYPT, UserStatus.ACTIVE), CONTEXT);
        // What PasswordVerificationService does after a successful check of a bcrypt hash.
        store.append(new io.userstream.application.port.out.AppendRequest(imported.user().id(), 1,
                java.util.List.of(new io.userstream.application.port.out.NewUserEvent(java.util.UUID.randomUUID(),
                        new UserEvent.PasswordChanged(imported.user().id(), new PasswordHash("$fake$1$abc"), NOW))),
                io.userstream.application.port.out.ReservationChanges.NONE,
                new io.userstream.application.port.out.EventMetadata("c", Optional.empty(), "rehash")));

        ImportResult again = imports.importLegacyUser(row("9", "ada@example.com", BCRYPT, UserStatus.ACTIVE), CONTEXT);
        ImportResult newPassword = imports.importLegacyUser(
                row("9", "ada@example.com", "$2b$10$abcdefghijklmnopqrstuuQwertyuiopasdfghjklzxcvbnmQWERTYU", UserStatus.ACTIVE),
                CONTEXT);

        assertThat(again.outcome()).isEqualTo(Outcome.UNCHANGED);
        assertThat(again.user().passwordHash().encoded()).isEqualTo("$fake$1$abc");
        assertThat(newPassword.outcome()).as("the legacy application set a new password").isEqualTo(Outcome.UPDATED);
    }

    @Test
    void a_lost_ledger_write_does_not_make_the_next_run_record_anything_twice() {
        ledger.loseNextWrite();
        imports.importLegacyUser(row("5", "ada@example.com", BCRYPT, UserStatus.INACTIVE), CONTEXT);

        ImportResult again = imports.importLegacyUser(row("5", "ada@example.com", BCRYPT, UserStatus.INACTIVE), CONTEXT);

        assertThat(again.outcome()).isEqualTo(Outcome.UNCHANGED);
        assertThat(store.allEvents()).hasSize(2);
    }

    @Test
    void an_address_another_user_holds_is_refused_and_nothing_is_written() {
        new UserCommandService(store, hasher, new FixedTimeSource(NOW), new SequentialIdGenerator())
                .createUser(new CreateUser("ada@example.com", "ada", "correct horse battery", null, null, null), CONTEXT);
        int before = store.allEvents().size();

        UserRejectedException refused = catchThrowableOfType(UserRejectedException.class,
                () -> imports.importLegacyUser(row("8", "ada@example.com", BCRYPT, UserStatus.ACTIVE), CONTEXT));

        assertThat(refused.rejection()).isInstanceOf(UserRejection.EmailAlreadyTaken.class);
        assertThat(store.allEvents()).hasSize(before);
    }

    @Test
    void a_deleted_row_is_kept_in_the_history_but_holds_no_address() {
        imports.importLegacyUser(row("3", "gone@example.com", BCRYPT, UserStatus.DELETED), CONTEXT);

        ImportResult reuse = imports.importLegacyUser(row("4", "gone@example.com", BCRYPT, UserStatus.ACTIVE), CONTEXT);

        assertThat(reuse.outcome()).isEqualTo(Outcome.CREATED);
    }

    @Test
    void an_invalid_row_names_every_bad_field() {
        LegacyUserRow bad = new LegacyUserRow("crm.users", "1", "not-an-email", "x", "plaintext", null, null,
                "ftp://nope", null, null);

        UserRejectedException refused = catchThrowableOfType(UserRejectedException.class,
                () -> imports.importLegacyUser(bad, CONTEXT));

        assertThat(((UserRejection.InvalidInput) refused.rejection()).violations()).extracting(FieldViolation::field)
                .containsExactly("email", "username", "password_hash", "avatar_url", "status");
        assertThat(store.allEvents()).isEmpty();
    }

    @Test
    void a_spring_scheme_prefix_is_dropped_and_an_unknown_scheme_is_reported() {
        ImportResult imported = imports.importLegacyUser(row("11", "s@example.com", "{bcrypt}" + BCRYPT, UserStatus.ACTIVE),
                CONTEXT);

        assertThat(imported.user().passwordHash().encoded()).isEqualTo(BCRYPT);
        assertThat(imported.passwordVerifiable()).as("the fake hasher knows only its own scheme").isFalse();
    }
}
