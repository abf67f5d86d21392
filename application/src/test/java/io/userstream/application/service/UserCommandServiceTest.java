package io.userstream.application.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.userstream.application.fakes.FakePasswordHasher;
import io.userstream.application.fakes.FixedTimeSource;
import io.userstream.application.fakes.InMemoryUserEventStore;
import io.userstream.application.fakes.SequentialIdGenerator;
import io.userstream.application.port.in.ChangeEmailUseCase.ChangeEmail;
import io.userstream.application.port.in.ChangePasswordUseCase.ChangePassword;
import io.userstream.application.port.in.CommandContext;
import io.userstream.application.port.in.CreateUserUseCase.CreateUser;
import io.userstream.application.port.in.UpdateProfileUseCase.UpdateProfile;
import io.userstream.application.port.in.UserCommand;
import io.userstream.application.port.out.AppendRequest;
import io.userstream.application.port.out.EventMetadata;
import io.userstream.application.port.out.PasswordHasher;
import io.userstream.application.port.out.PasswordHashingSaturatedException;
import io.userstream.application.port.out.RecordedUserEvent;
import io.userstream.application.port.out.Reservation;
import io.userstream.application.port.out.Reservation.Kind;
import io.userstream.application.port.out.ReservationChanges;
import io.userstream.domain.user.Email;
import io.userstream.domain.user.FieldViolation;
import io.userstream.domain.user.PasswordHash;
import io.userstream.domain.user.PlainPassword;
import io.userstream.domain.user.Profile;
import io.userstream.domain.user.User;
import io.userstream.domain.user.UserEvent;
import io.userstream.domain.user.UserEvent.EmailChanged;
import io.userstream.domain.user.UserEvent.PasswordChanged;
import io.userstream.domain.user.UserEvent.ProfileUpdated;
import io.userstream.domain.user.UserEvent.UserActivated;
import io.userstream.domain.user.UserEvent.UserCreated;
import io.userstream.domain.user.UserEvent.UserDeactivated;
import io.userstream.domain.user.UserEvent.UserDeleted;
import io.userstream.domain.user.UserId;
import io.userstream.domain.user.UserRejectedException;
import io.userstream.domain.user.UserRejection;
import io.userstream.domain.user.UserRejection.ConcurrencyConflict;
import io.userstream.domain.user.UserRejection.EmailAlreadyTaken;
import io.userstream.domain.user.UserRejection.InvalidInput;
import io.userstream.domain.user.UserRejection.UserIsDeleted;
import io.userstream.domain.user.UserRejection.UserNotFound;
import io.userstream.domain.user.UserRejection.UsernameAlreadyTaken;
import io.userstream.domain.user.UserRejection.VersionMismatch;
import io.userstream.domain.user.UserStatus;
import io.userstream.application.support.RecentUsers;
import io.userstream.application.port.out.AppendOutcome;
import io.userstream.domain.user.Username;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.Stream;

import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class UserCommandServiceTest {

    static final Instant NOW = Instant.parse("2025-01-15T10:00:00Z");
    static final Instant RECORDED_AT = Instant.parse("2025-01-15T10:00:00.123Z");
    static final CommandContext CONTEXT = new CommandContext("corr-1", Optional.of("cause-1"), "admin-7");
    static final String PASSWORD = "correct horse battery staple";
    static final String NEW_PASSWORD = "Tr0ub4dor&3 is not enough";
    static final String UNKNOWN_ID = "0190c8a2-6f3e-7b1a-9c4d-2e5f6a7b8c9d";
    static final Reservation ADA_EMAIL_KEY = new Reservation(Kind.EMAIL, "ada@example.com");
    static final Reservation ADA_USERNAME_KEY = new Reservation(Kind.USERNAME, "ada");

    InMemoryUserEventStore store;
    FakePasswordHasher hasher;
    FixedTimeSource clock;
    SequentialIdGenerator ids;
    UserCommandService service;

    @BeforeEach
    void setUp() {
        store = new InMemoryUserEventStore(() -> RECORDED_AT);
        hasher = new FakePasswordHasher();
        clock = new FixedTimeSource(NOW);
        ids = new SequentialIdGenerator();
        service = new UserCommandService(store, hasher, clock, ids);
    }

    // ---------------------------------------------------------------- helpers

    User createAda() {
        return service.createUser(new CreateUser("  Ada@Example.COM ", "ada", PASSWORD,
                "Ada", "Lovelace", "https://example.com/ada.png"), CONTEXT);
    }

    User create(String email, String username) {
        return service.createUser(new CreateUser(email, username, PASSWORD, null, null, null), CONTEXT);
    }

    static UserRejection rejectionOf(ThrowingCallable call) {
        Throwable thrown = catchThrowable(call);
        assertThat(thrown).isInstanceOf(UserRejectedException.class);
        return ((UserRejectedException) thrown).rejection();
    }

    static List<String> fieldsOf(UserRejection rejection) {
        assertThat(rejection).isInstanceOf(InvalidInput.class);
        return ((InvalidInput) rejection).violations().stream().map(FieldViolation::field).toList();
    }

    static UserCommand command(User user) {
        return new UserCommand(user.id().toString(), OptionalLong.empty());
    }

    static UpdateProfile profileUpdate(String id, String firstName, String lastName, String avatarUrl) {
        return new UpdateProfile(id, Optional.ofNullable(firstName), Optional.ofNullable(lastName),
                Optional.ofNullable(avatarUrl), OptionalLong.empty());
    }

    List<UserEvent> eventsOf(User user) {
        return store.events(user.id()).stream().map(RecordedUserEvent::event).toList();
    }

    /** An operation on one user, for tests that hold for every command. */
    @FunctionalInterface
    interface Operation {
        User apply(UserCommandService service, String userId, OptionalLong expectedVersion);
    }

    static Stream<Arguments> everyCommand() {
        return Stream.of(
                Arguments.of("activate", (Operation) (s, id, v) -> s.activateUser(new UserCommand(id, v), CONTEXT)),
                Arguments.of("deactivate", (Operation) (s, id, v) -> s.deactivateUser(new UserCommand(id, v), CONTEXT)),
                Arguments.of("delete", (Operation) (s, id, v) -> s.deleteUser(new UserCommand(id, v), CONTEXT)),
                Arguments.of("changeEmail", (Operation) (s, id, v) ->
                        s.changeEmail(new ChangeEmail(id, "someone.else@example.org", v), CONTEXT)),
                Arguments.of("changePassword", (Operation) (s, id, v) ->
                        s.changePassword(new ChangePassword(id, NEW_PASSWORD, v), CONTEXT)),
                Arguments.of("updateProfile", (Operation) (s, id, v) ->
                        s.updateProfile(new UpdateProfile(id, Optional.of("Augusta"), Optional.empty(),
                                Optional.empty(), v), CONTEXT)));
    }

    static final String EVERY_COMMAND = "io.userstream.application.service.UserCommandServiceTest#everyCommand";

    // ---------------------------------------------------------------- create

    @Nested
    @DisplayName("createUser")
    class Create {

        @Test
        void returns_an_active_user_at_version_1_with_the_normalised_email() {
            User ada = createAda();

            assertThat(ada.id()).isEqualTo(new UserId(ids.issued().getFirst()));
            assertThat(ada.status()).isEqualTo(UserStatus.ACTIVE);
            assertThat(ada.version()).isEqualTo(1);
            assertThat(ada.email().value()).isEqualTo("Ada@example.com");
            assertThat(ada.username().value()).isEqualTo("ada");
            assertThat(ada.profile()).isEqualTo(new Profile("Ada", "Lovelace", "https://example.com/ada.png"));
            assertThat(ada.createdAt()).isEqualTo(NOW);
            assertThat(ada.updatedAt()).isEqualTo(NOW);
            assertThat(ada.deletedAt()).isNull();
        }

        @Test
        void records_one_user_created_event_that_folds_into_the_returned_user() {
            User ada = createAda();

            List<RecordedUserEvent> stream = store.events(ada.id());
            assertThat(stream).hasSize(1);
            RecordedUserEvent recorded = stream.getFirst();
            assertThat(recorded.version()).isEqualTo(1);
            assertThat(recorded.eventId()).isEqualTo(ids.issued().get(1)).isNotEqualTo(ada.id().value());
            assertThat(recorded.event()).isEqualTo(new UserCreated(ada.id(), Email.parse("Ada@example.com"),
                    Username.parse("ada"), hasher.lastProduced(),
                    new Profile("Ada", "Lovelace", "https://example.com/ada.png"), NOW));
            assertThat(store.appendRequests()).singleElement()
                    .extracting(AppendRequest::expectedVersion).isEqualTo(0L);
            User reloaded = User.fromHistory(List.of(recorded.event()));
            assertThat(reloaded.email()).isEqualTo(ada.email());
            assertThat(reloaded.version()).isEqualTo(ada.version());
        }

        @Test
        void events_carry_the_metadata_of_the_command_context() {
            User ada = createAda();
            CommandContext other = new CommandContext("corr-2", Optional.empty(), "anonymous");
            service.deactivateUser(command(ada), other);

            assertThat(store.events(ada.id())).extracting(RecordedUserEvent::metadata).containsExactly(
                    new EventMetadata("corr-1", Optional.of("cause-1"), "admin-7"),
                    new EventMetadata("corr-2", Optional.empty(), "anonymous"));
        }

        @Test
        void claims_the_lower_cased_email_and_the_username() {
            User ada = createAda();

            assertThat(store.reservations()).isEqualTo(Map.of(ADA_EMAIL_KEY, ada.id(), ADA_USERNAME_KEY, ada.id()));
            assertThat(store.appendRequests().getFirst().reservations())
                    .isEqualTo(new ReservationChanges(List.of(ADA_EMAIL_KEY, ADA_USERNAME_KEY), List.of()));
        }

        @Test
        void stores_only_the_hashers_output_and_never_the_plaintext_password() {
            User ada = createAda();

            assertThat(hasher.calls()).isEqualTo(1);
            PasswordHash stored = ((UserCreated) eventsOf(ada).getFirst()).passwordHash();
            assertThat(stored).isEqualTo(hasher.lastProduced());
            assertThat(ada.passwordHash()).isEqualTo(stored);
            assertThat(hasher.matches(PlainPassword.parse(PASSWORD), stored)).isTrue();
            assertNoPlaintextAnywhere(PASSWORD, ada);
        }

        @Test
        void absent_profile_fields_make_an_empty_profile() {
            User bob = service.createUser(new CreateUser("bob@example.com", "bob", PASSWORD, null, null, null), CONTEXT);

            assertThat(bob.profile()).isEqualTo(Profile.EMPTY);
        }

        @Test
        void reports_every_invalid_field_at_once_and_records_nothing() {
            String tooShort = "s3cr3t!";
            UserRejection rejection = rejectionOf(() -> service.createUser(new CreateUser(
                    "not-an-email", "A", tooShort, "x".repeat(101), "bell\u0007", "ftp://example.com/a.png"), CONTEXT));

            assertThat(fieldsOf(rejection))
                    .containsExactly("email", "username", "password", "first_name", "last_name", "avatar_url");
            assertThat(rejection.message()).doesNotContain(tooShort);
            assertThat(store.appendRequests()).isEmpty();
            assertThat(store.reservations()).isEmpty();
            assertThat(hasher.calls()).isZero();
        }

        @Test
        void missing_required_fields_are_each_reported() {
            UserRejection rejection = rejectionOf(() -> service.createUser(
                    new CreateUser(null, " ", "", null, null, null), CONTEXT));

            assertThat(fieldsOf(rejection)).containsExactly("email", "username", "password");
            assertThat(store.appendRequests()).isEmpty();
        }

        @Test
        void an_email_that_differs_only_in_case_is_already_taken() {
            User ada = createAda();

            UserRejection rejection = rejectionOf(() -> create("ADA@example.com", "ada2"));

            assertThat(rejection).isEqualTo(new EmailAlreadyTaken(Email.parse("ADA@example.com")));
            assertThat(store.allEvents()).hasSize(1);
            assertThat(store.reservations()).isEqualTo(Map.of(ADA_EMAIL_KEY, ada.id(), ADA_USERNAME_KEY, ada.id()));
        }

        @Test
        void the_same_email_is_already_taken() {
            createAda();

            assertThat(rejectionOf(() -> create("Ada@example.com", "ada2")))
                    .isEqualTo(new EmailAlreadyTaken(Email.parse("Ada@example.com")));
            assertThat(store.allEvents()).hasSize(1);
        }

        @Test
        void a_taken_username_is_rejected() {
            User ada = createAda();

            UserRejection rejection = rejectionOf(() -> create("someone@example.com", "ada"));

            assertThat(rejection).isEqualTo(new UsernameAlreadyTaken(Username.parse("ada")));
            assertThat(store.allEvents()).hasSize(1);
            assertThat(store.ownerOf(new Reservation(Kind.EMAIL, "someone@example.com"))).isEmpty();
            assertThat(store.reservations()).isEqualTo(Map.of(ADA_EMAIL_KEY, ada.id(), ADA_USERNAME_KEY, ada.id()));
        }

        @Test
        void a_taken_email_is_refused_before_the_password_is_hashed() {
            createAda();

            assertThat(rejectionOf(() -> create("ADA@example.com", "ada2")))
                    .isEqualTo(new EmailAlreadyTaken(Email.parse("ADA@example.com")));

            assertThat(hasher.calls()).as("hashes: Ada's only").isEqualTo(1);
            assertThat(store.appendRequests()).hasSize(1);
            assertThat(store.heldReads()).isEqualTo(2);
        }

        @Test
        void a_taken_username_is_refused_before_the_password_is_hashed() {
            createAda();

            assertThat(rejectionOf(() -> create("someone@example.com", "ada")))
                    .isEqualTo(new UsernameAlreadyTaken(Username.parse("ada")));

            assertThat(hasher.calls()).isEqualTo(1);
            assertThat(store.appendRequests()).hasSize(1);
        }

        @Test
        void an_email_claimed_after_the_check_is_still_refused_by_the_append() {
            store.beforeNextAppend(() -> create("bob@example.com", "bob"));

            assertThat(rejectionOf(() -> create("Bob@Example.com", "bobby")))
                    .isEqualTo(new EmailAlreadyTaken(Email.parse("Bob@Example.com")));

            assertThat(store.allEvents()).hasSize(1);
            assertThat(store.ownerOf(new Reservation(Kind.USERNAME, "bobby"))).isEmpty();
        }

        @Test
        void saturated_password_hashing_reaches_the_caller_and_records_nothing() {
            service = new UserCommandService(store, saturatedHasher(), clock, ids);

            assertThat(catchThrowable(() -> create("bob@example.com", "bob")))
                    .isInstanceOf(PasswordHashingSaturatedException.class);
            assertThat(store.appendRequests()).isEmpty();
        }

        @Test
        void a_version_conflict_on_a_fresh_stream_is_a_concurrency_conflict_without_retry() {
            store.forceVersionConflicts(1);

            UserRejection rejection = rejectionOf(() -> create("bob@example.com", "bob"));

            assertThat(rejection).isInstanceOf(ConcurrencyConflict.class);
            assertThat(((ConcurrencyConflict) rejection).attempts()).isEqualTo(1);
            assertThat(store.appendRequests()).hasSize(1);
            assertThat(store.allEvents()).isEmpty();
            assertThat(store.reservations()).isEmpty();
        }
    }

    // ---------------------------------------------------------------- change email

    @Nested
    @DisplayName("changeEmail")
    class ChangeEmailTests {

        @Test
        void swaps_the_reservation_so_the_old_address_is_free_for_someone_else() {
            User ada = createAda();

            User changed = service.changeEmail(new ChangeEmail(ada.id().toString(), "Countess@Lovelace.ORG",
                    OptionalLong.empty()), CONTEXT);

            assertThat(changed.email().value()).isEqualTo("Countess@lovelace.org");
            assertThat(changed.version()).isEqualTo(2);
            assertThat(eventsOf(ada)).last().isEqualTo(new EmailChanged(ada.id(), Email.parse("Ada@example.com"),
                    Email.parse("Countess@lovelace.org"), NOW));
            assertThat(store.ownerOf(ADA_EMAIL_KEY)).isEmpty();
            assertThat(store.ownerOf(new Reservation(Kind.EMAIL, "countess@lovelace.org"))).contains(ada.id());

            User bob = create("ada@example.com", "bob");
            assertThat(store.ownerOf(ADA_EMAIL_KEY)).contains(bob.id());
        }

        @Test
        void the_new_address_cannot_be_taken_by_another_user() {
            User ada = createAda();
            service.changeEmail(new ChangeEmail(ada.id().toString(), "countess@lovelace.org", OptionalLong.empty()), CONTEXT);

            assertThat(rejectionOf(() -> create("Countess@lovelace.org", "bob")))
                    .isEqualTo(new EmailAlreadyTaken(Email.parse("Countess@lovelace.org")));
        }

        @Test
        void the_current_address_again_records_nothing() {
            User ada = createAda();

            User same = service.changeEmail(new ChangeEmail(ada.id().toString(), " Ada@EXAMPLE.com",
                    OptionalLong.empty()), CONTEXT);

            assertThat(same.version()).isEqualTo(1);
            assertThat(same.email()).isEqualTo(ada.email());
            assertThat(store.appendRequests()).hasSize(1);
            assertThat(store.allEvents()).hasSize(1);
        }

        @Test
        void a_change_of_case_in_the_local_part_is_recorded_but_keeps_the_reservation() {
            User ada = createAda();

            User changed = service.changeEmail(new ChangeEmail(ada.id().toString(), "ADA@example.com",
                    OptionalLong.empty()), CONTEXT);

            assertThat(changed.email().value()).isEqualTo("ADA@example.com");
            assertThat(changed.version()).isEqualTo(2);
            assertThat(store.appendRequests().getLast().reservations()).isEqualTo(ReservationChanges.NONE);
            assertThat(store.ownerOf(ADA_EMAIL_KEY)).contains(ada.id());
        }

        @Test
        void an_address_held_by_another_user_is_already_taken() {
            User ada = createAda();
            User bob = create("bob@example.com", "bob");

            UserRejection rejection = rejectionOf(() -> service.changeEmail(
                    new ChangeEmail(ada.id().toString(), "BOB@example.com", OptionalLong.empty()), CONTEXT));

            assertThat(rejection).isEqualTo(new EmailAlreadyTaken(Email.parse("BOB@example.com")));
            assertThat(store.events(ada.id())).hasSize(1);
            assertThat(store.ownerOf(ADA_EMAIL_KEY)).contains(ada.id());
            assertThat(store.ownerOf(new Reservation(Kind.EMAIL, "bob@example.com"))).contains(bob.id());
        }

        @Test
        void reports_a_malformed_id_and_email_together() {
            UserRejection rejection = rejectionOf(() -> service.changeEmail(
                    new ChangeEmail("nope", "also nope", OptionalLong.empty()), CONTEXT));

            assertThat(fieldsOf(rejection)).containsExactly("user_id", "new_email");
        }
    }

    // ---------------------------------------------------------------- delete, not found, malformed id

    @Nested
    @DisplayName("deleteUser and missing users")
    class Delete {

        @Test
        void erasing_frees_the_email_and_username_and_is_allowed_on_a_deleted_user_once() {
            User ada = createAda();
            User erased = service.eraseUser(command(ada), CONTEXT);

            assertThat(erased.erased()).isTrue();
            assertThat(erased.status()).isEqualTo(UserStatus.DELETED);
            assertThat(erased.version()).isEqualTo(2);
            assertThat(eventsOf(ada)).last().isInstanceOf(io.userstream.domain.user.UserEvent.UserErased.class);
            assertThat(store.reservations()).isEmpty();
            assertThat(service.eraseUser(command(ada), CONTEXT).version()).as("erasing again records nothing")
                    .isEqualTo(2);

            User bob = create("bob@example.com", "bob");
            service.deleteUser(new UserCommand(bob.id().toString(), OptionalLong.empty()), CONTEXT);
            User bobErased = service.eraseUser(new UserCommand(bob.id().toString(), OptionalLong.empty()), CONTEXT);
            assertThat(bobErased.erased()).isTrue();
            assertThat(bobErased.deletedAt()).as("keeps its deletion time").isEqualTo(NOW);
            assertThat(store.appendRequests().getLast().reservations().release())
                    .as("a deleted user released its values already").isEmpty();
        }

        @Test
        void deleting_frees_the_email_and_username_for_a_new_user() {
            User ada = createAda();
            clock.advance(Duration.ofHours(1));

            User deleted = service.deleteUser(command(ada), CONTEXT);

            assertThat(deleted.status()).isEqualTo(UserStatus.DELETED);
            assertThat(deleted.deletedAt()).isEqualTo(NOW.plus(Duration.ofHours(1)));
            assertThat(deleted.version()).isEqualTo(2);
            assertThat(eventsOf(ada)).last().isEqualTo(new UserDeleted(ada.id(), NOW.plus(Duration.ofHours(1))));
            assertThat(store.reservations()).isEmpty();

            User again = service.createUser(new CreateUser("ada@example.com", "ada", PASSWORD, null, null, null), CONTEXT);
            assertThat(again.id()).isNotEqualTo(ada.id());
            assertThat(store.reservations()).isEqualTo(Map.of(ADA_EMAIL_KEY, again.id(), ADA_USERNAME_KEY, again.id()));
        }

        @Test
        void deleting_after_an_email_change_frees_the_current_address() {
            User ada = createAda();
            service.changeEmail(new ChangeEmail(ada.id().toString(), "countess@lovelace.org", OptionalLong.empty()), CONTEXT);

            service.deleteUser(command(ada), CONTEXT);

            assertThat(store.reservations()).isEmpty();
            create("countess@lovelace.org", "ada");
        }

        @ParameterizedTest(name = "{0}")
        @MethodSource(EVERY_COMMAND)
        void every_command_on_a_deleted_user_is_rejected(String name, Operation operation) {
            User ada = createAda();
            service.deleteUser(command(ada), CONTEXT);
            int appends = store.appendRequests().size();

            UserRejection rejection = rejectionOf(() -> operation.apply(service, ada.id().toString(), OptionalLong.empty()));

            assertThat(rejection).isEqualTo(new UserIsDeleted(ada.id()));
            assertThat(store.appendRequests()).hasSize(appends);
            assertThat(store.events(ada.id())).hasSize(2);
        }

        @ParameterizedTest(name = "{0}")
        @MethodSource(EVERY_COMMAND)
        void every_command_on_an_unknown_id_is_user_not_found(String name, Operation operation) {
            UserRejection rejection = rejectionOf(() -> operation.apply(service, UNKNOWN_ID, OptionalLong.empty()));

            assertThat(rejection).isEqualTo(new UserNotFound(UserId.parse(UNKNOWN_ID)));
            assertThat(store.appendRequests()).isEmpty();
        }

        @ParameterizedTest(name = "{0}")
        @MethodSource(EVERY_COMMAND)
        void every_command_with_a_malformed_id_is_invalid_input_on_user_id(String name, Operation operation) {
            for (String malformed : new String[] {"not-a-uuid", "1-2-3-4-5", "", "  "}) {
                UserRejection rejection = rejectionOf(() -> operation.apply(service, malformed, OptionalLong.empty()));

                assertThat(fieldsOf(rejection)).as("id %s", malformed).containsExactly("user_id");
            }
            UserRejection nullId = rejectionOf(() -> operation.apply(service, null, OptionalLong.empty()));
            assertThat(fieldsOf(nullId)).containsExactly("user_id");
            assertThat(store.appendRequests()).isEmpty();
            assertThat(store.loads()).isZero();
        }
    }

    // ---------------------------------------------------------------- expected version

    @Nested
    @DisplayName("expectedVersion")
    class ExpectedVersion {

        @Test
        void a_matching_version_applies_the_command() {
            User ada = createAda();

            User deactivated = service.deactivateUser(new UserCommand(ada.id().toString(), OptionalLong.of(1)), CONTEXT);
            User renamed = service.changeEmail(new ChangeEmail(ada.id().toString(), "countess@lovelace.org",
                    OptionalLong.of(2)), CONTEXT);

            assertThat(deactivated.version()).isEqualTo(2);
            assertThat(renamed.version()).isEqualTo(3);
            assertThat(renamed.status()).isEqualTo(UserStatus.INACTIVE);
            assertThat(store.events(ada.id())).hasSize(3);
        }

        @ParameterizedTest(name = "{0}")
        @MethodSource(EVERY_COMMAND)
        void a_stale_version_is_a_mismatch_and_records_nothing(String name, Operation operation) {
            User ada = createAda();
            service.updateProfile(profileUpdate(ada.id().toString(), "Countess", null, null), CONTEXT);
            int appends = store.appendRequests().size();
            Map<Reservation, UserId> reservations = store.reservations();

            UserRejection rejection = rejectionOf(() -> operation.apply(service, ada.id().toString(), OptionalLong.of(1)));

            assertThat(rejection).isEqualTo(new VersionMismatch(ada.id(), 1, 2));
            assertThat(store.appendRequests()).hasSize(appends);
            assertThat(store.events(ada.id())).hasSize(2);
            assertThat(store.reservations()).isEqualTo(reservations);
        }

        @ParameterizedTest(name = "{0}")
        @MethodSource(EVERY_COMMAND)
        void a_version_below_1_is_invalid_input_and_nothing_is_loaded(String name, Operation operation) {
            User ada = createAda();
            int loads = store.loads();

            for (long invalid : new long[] {0, -1}) {
                UserRejection rejection = rejectionOf(() ->
                        operation.apply(service, ada.id().toString(), OptionalLong.of(invalid)));

                assertThat(fieldsOf(rejection)).as("version %d", invalid).containsExactly("expected_version");
            }
            assertThat(store.loads()).isEqualTo(loads);
            assertThat(store.events(ada.id())).hasSize(1);
            assertThat(hasher.calls()).isEqualTo(1);
        }

        @ParameterizedTest(name = "{0}")
        @MethodSource(EVERY_COMMAND)
        void a_malformed_id_and_a_version_below_1_are_reported_together(String name, Operation operation) {
            UserRejection rejection = rejectionOf(() -> operation.apply(service, "nope", OptionalLong.of(0)));

            assertThat(fieldsOf(rejection)).containsExactly("user_id", "expected_version");
        }

        @Test
        void a_version_from_the_future_is_a_mismatch() {
            User ada = createAda();

            assertThat(rejectionOf(() -> service.deleteUser(
                    new UserCommand(ada.id().toString(), OptionalLong.of(5)), CONTEXT)))
                    .isEqualTo(new VersionMismatch(ada.id(), 5, 1));
            assertThat(store.events(ada.id())).hasSize(1);
        }
    }

    // ---------------------------------------------------------------- concurrency

    /**
     * With a cache of recent users: a command on a user written here skips the load, yet every answer is the
     * one a fresh load would give, whatever another replica (a second service on the same store) did.
     */
    @Nested
    class RecentUsersCache {

        RecentUsers recent;
        UserCommandService cached;
        UserCommandService otherReplica;

        @BeforeEach
        void twoReplicas() {
            recent = new RecentUsers(100);
            cached = new UserCommandService(store, hasher, clock, ids, recent);
            otherReplica = new UserCommandService(store, hasher, clock, ids);
        }

        User createAdaHere() {
            return cached.createUser(new CreateUser("ada@example.com", "ada", PASSWORD, "Ada", "Lovelace", ""),
                    CONTEXT);
        }

        @Test
        void a_command_on_a_user_written_here_appends_without_loading_the_stream() {
            User ada = createAdaHere();
            int loads = store.loads();

            User updated = cached.updateProfile(new UpdateProfile(ada.id().toString(), Optional.of("Augusta"),
                    Optional.empty(), Optional.empty(), OptionalLong.empty()), CONTEXT);
            User deactivated = cached.deactivateUser(command(ada), CONTEXT);

            assertThat(store.loads()).isEqualTo(loads);
            assertThat(updated.version()).isEqualTo(2);
            assertThat(deactivated.version()).isEqualTo(3);
            assertThat(deactivated.status()).isEqualTo(UserStatus.INACTIVE);
            assertThat(store.load(ada.id())).hasSize(3);
        }

        @Test
        void a_guess_made_stale_by_another_replica_conflicts_and_the_command_is_decided_on_the_stream() {
            User ada = createAdaHere();
            otherReplica.updateProfile(new UpdateProfile(ada.id().toString(), Optional.of("Augusta"),
                    Optional.empty(), Optional.empty(), OptionalLong.empty()), CONTEXT);

            User updated = cached.updateProfile(new UpdateProfile(ada.id().toString(), Optional.empty(),
                    Optional.of("King"), Optional.empty(), OptionalLong.empty()), CONTEXT);

            // Both changes: the other replica's first name, this one's last name, at version 3.
            assertThat(updated.version()).isEqualTo(3);
            assertThat(updated.profile().firstName()).isEqualTo("Augusta");
            assertThat(updated.profile().lastName()).isEqualTo("King");
            assertThat(store.appendOutcomes()).filteredOn(AppendOutcome.VersionConflict.class::isInstance).hasSize(1);
        }

        @Test
        void a_rejection_decided_on_a_stale_guess_is_decided_again_on_the_stream() {
            User ada = createAdaHere();
            otherReplica.updateProfile(new UpdateProfile(ada.id().toString(), Optional.of("Augusta"),
                    Optional.empty(), Optional.empty(), OptionalLong.empty()), CONTEXT);

            // The caller saw version 2 (the other replica's); the guess here is still at version 1.
            User deactivated = cached.deactivateUser(new UserCommand(ada.id().toString(), OptionalLong.of(2)),
                    CONTEXT);

            assertThat(deactivated.version()).isEqualTo(3);
            assertThat(deactivated.status()).isEqualTo(UserStatus.INACTIVE);
        }

        @Test
        void nothing_to_do_on_a_stale_guess_is_checked_on_the_stream() {
            User ada = createAdaHere();
            otherReplica.deactivateUser(command(ada), CONTEXT);

            // The guess says active (nothing to do); the stream says inactive.
            User activated = cached.activateUser(command(ada), CONTEXT);

            assertThat(activated.status()).isEqualTo(UserStatus.ACTIVE);
            assertThat(activated.version()).isEqualTo(3);
            assertThat(store.load(ada.id())).hasSize(3);
        }

        @Test
        void the_cache_keeps_at_most_its_capacity() {
            recent = new RecentUsers(2);
            cached = new UserCommandService(store, hasher, clock, ids, recent);
            cached.createUser(new CreateUser("a@example.com", "aaa", PASSWORD, "", "", ""), CONTEXT);
            cached.createUser(new CreateUser("b@example.com", "bbb", PASSWORD, "", "", ""), CONTEXT);
            cached.createUser(new CreateUser("c@example.com", "ccc", PASSWORD, "", "", ""), CONTEXT);

            assertThat(recent.size()).isEqualTo(2);
        }
    }

    @Nested
    @DisplayName("version conflicts")
    class Conflicts {

        @ParameterizedTest(name = "{0} conflict(s)")
        @ValueSource(ints = {1, 2})
        void a_few_conflicts_are_retried_on_a_fresh_load(int conflicts) {
            User ada = createAda();
            int loadsBefore = store.loads();
            int appendsBefore = store.appendRequests().size();
            store.forceVersionConflicts(conflicts);

            User deactivated = service.deactivateUser(command(ada), CONTEXT);

            assertThat(deactivated.status()).isEqualTo(UserStatus.INACTIVE);
            assertThat(deactivated.version()).isEqualTo(2);
            assertThat(eventsOf(ada)).hasSize(2).last().isInstanceOf(UserDeactivated.class);
            assertThat(store.appendRequests()).hasSize(appendsBefore + conflicts + 1);
            assertThat(store.loads() - loadsBefore).isEqualTo(conflicts + 1);
        }

        @Test
        void max_attempts_conflicts_are_a_concurrency_conflict_and_record_nothing() {
            User ada = createAda();
            int appendsBefore = store.appendRequests().size();
            store.forceVersionConflicts(UserCommandService.MAX_ATTEMPTS);

            UserRejection rejection = rejectionOf(() -> service.deactivateUser(command(ada), CONTEXT));

            assertThat(rejection).isEqualTo(new ConcurrencyConflict(ada.id(), UserCommandService.MAX_ATTEMPTS));
            assertThat(store.appendRequests()).hasSize(appendsBefore + UserCommandService.MAX_ATTEMPTS);
            assertThat(store.events(ada.id())).hasSize(1);
            assertThat(service.deactivateUser(command(ada), CONTEXT).version())
                    .as("the next attempt, without interference, succeeds").isEqualTo(2);
        }

        @Test
        void a_retry_decides_on_what_the_concurrent_writer_recorded() {
            User ada = createAda();
            store.beforeNextAppend(() ->
                    service.updateProfile(profileUpdate(ada.id().toString(), "Augusta", null, null), CONTEXT));

            User deactivated = service.deactivateUser(command(ada), CONTEXT);

            assertThat(deactivated.version()).isEqualTo(3);
            assertThat(deactivated.status()).isEqualTo(UserStatus.INACTIVE);
            assertThat(deactivated.profile().firstName()).isEqualTo("Augusta");
            assertThat(eventsOf(ada)).extracting(Object::getClass)
                    .containsExactly(UserCreated.class, ProfileUpdated.class, UserDeactivated.class);
            assertThat(store.events(ada.id())).extracting(RecordedUserEvent::version).containsExactly(1L, 2L, 3L);
        }

        @Test
        void a_retry_that_finds_the_work_already_done_records_nothing() {
            User ada = createAda();
            store.beforeNextAppend(() -> service.deactivateUser(command(ada), CONTEXT));

            User deactivated = service.deactivateUser(command(ada), CONTEXT);

            assertThat(deactivated.version()).isEqualTo(2);
            assertThat(eventsOf(ada)).extracting(Object::getClass)
                    .containsExactly(UserCreated.class, UserDeactivated.class);
        }

        @Test
        void a_retry_never_applies_a_conditional_command_to_a_version_the_caller_did_not_see() {
            User ada = createAda();
            store.beforeNextAppend(() ->
                    service.updateProfile(profileUpdate(ada.id().toString(), "Augusta", null, null), CONTEXT));

            UserRejection rejection = rejectionOf(() -> service.deactivateUser(
                    new UserCommand(ada.id().toString(), OptionalLong.of(1)), CONTEXT));

            assertThat(rejection).isEqualTo(new VersionMismatch(ada.id(), 1, 2));
            assertThat(eventsOf(ada)).extracting(Object::getClass)
                    .containsExactly(UserCreated.class, ProfileUpdated.class);
        }

        @Test
        void a_user_deleted_concurrently_is_rejected_on_retry() {
            User ada = createAda();
            store.beforeNextAppend(() -> service.deleteUser(command(ada), CONTEXT));

            UserRejection rejection = rejectionOf(() -> service.updateProfile(
                    profileUpdate(ada.id().toString(), "Augusta", null, null), CONTEXT));

            assertThat(rejection).isEqualTo(new UserIsDeleted(ada.id()));
            assertThat(store.events(ada.id())).hasSize(2);
        }

        @Test
        void an_email_change_retried_after_a_concurrent_email_change_swaps_the_right_reservations() {
            User ada = createAda();
            String id = ada.id().toString();
            store.beforeNextAppend(() ->
                    service.changeEmail(new ChangeEmail(id, "first@lovelace.org", OptionalLong.empty()), CONTEXT));

            User changed = service.changeEmail(new ChangeEmail(id, "second@lovelace.org", OptionalLong.empty()), CONTEXT);

            assertThat(changed.email().value()).isEqualTo("second@lovelace.org");
            assertThat(changed.version()).isEqualTo(3);
            assertThat(eventsOf(ada).getLast()).isEqualTo(new EmailChanged(ada.id(),
                    Email.parse("first@lovelace.org"), Email.parse("second@lovelace.org"), NOW));
            assertThat(store.reservations()).isEqualTo(Map.of(
                    new Reservation(Kind.EMAIL, "second@lovelace.org"), ada.id(), ADA_USERNAME_KEY, ada.id()));
        }

        @Test
        void an_address_claimed_between_load_and_append_is_already_taken() {
            User ada = createAda();
            store.beforeNextAppend(() -> create("countess@lovelace.org", "bob"));

            UserRejection rejection = rejectionOf(() -> service.changeEmail(
                    new ChangeEmail(ada.id().toString(), "countess@lovelace.org", OptionalLong.empty()), CONTEXT));

            assertThat(rejection).isEqualTo(new EmailAlreadyTaken(Email.parse("countess@lovelace.org")));
            assertThat(store.events(ada.id())).hasSize(1);
            assertThat(store.ownerOf(ADA_EMAIL_KEY)).contains(ada.id());
        }
    }

    // ---------------------------------------------------------------- activate / deactivate

    @Nested
    @DisplayName("activateUser and deactivateUser")
    class ActivateDeactivate {

        @Test
        void activating_an_active_user_records_nothing() {
            User ada = createAda();

            User same = service.activateUser(command(ada), CONTEXT);

            assertThat(same.status()).isEqualTo(UserStatus.ACTIVE);
            assertThat(same.version()).isEqualTo(1);
            assertThat(store.appendRequests()).hasSize(1);
        }

        @Test
        void deactivating_and_activating_toggle_the_status_and_repeats_record_nothing() {
            User ada = createAda();
            Instant later = clock.advance(Duration.ofMinutes(5));

            User inactive = service.deactivateUser(command(ada), CONTEXT);
            User stillInactive = service.deactivateUser(command(ada), CONTEXT);
            User active = service.activateUser(command(ada), CONTEXT);
            User stillActive = service.activateUser(command(ada), CONTEXT);

            assertThat(inactive.status()).isEqualTo(UserStatus.INACTIVE);
            assertThat(inactive.version()).isEqualTo(2);
            assertThat(inactive.updatedAt()).isEqualTo(later);
            assertThat(inactive.createdAt()).isEqualTo(NOW);
            assertThat(stillInactive.version()).isEqualTo(2);
            assertThat(active.status()).isEqualTo(UserStatus.ACTIVE);
            assertThat(active.version()).isEqualTo(3);
            assertThat(stillActive.version()).isEqualTo(3);
            assertThat(eventsOf(ada)).containsExactly(eventsOf(ada).getFirst(),
                    new UserDeactivated(ada.id(), later), new UserActivated(ada.id(), later));
            assertThat(store.appendRequests()).allSatisfy(request ->
                    assertThat(request.reservations().release()).isEmpty());
        }
    }

    // ---------------------------------------------------------------- update profile

    @Nested
    @DisplayName("updateProfile")
    class UpdateProfileTests {

        @Test
        void an_absent_field_keeps_its_value_and_an_empty_one_clears_it() {
            User ada = createAda();

            User updated = service.updateProfile(profileUpdate(ada.id().toString(), null, "  Byron ", ""), CONTEXT);

            assertThat(updated.profile()).isEqualTo(new Profile("Ada", "Byron", ""));
            assertThat(updated.version()).isEqualTo(2);
            assertThat(eventsOf(ada)).last().isEqualTo(new ProfileUpdated(ada.id(), new Profile("Ada", "Byron", ""), NOW));
            assertThat(store.appendRequests().getLast().reservations()).isEqualTo(ReservationChanges.NONE);
        }

        @Test
        void an_update_to_the_current_values_records_nothing() {
            User ada = createAda();

            User same = service.updateProfile(profileUpdate(ada.id().toString(), " Ada ", "Lovelace", null), CONTEXT);
            User empty = service.updateProfile(profileUpdate(ada.id().toString(), null, null, null), CONTEXT);

            assertThat(same.version()).isEqualTo(1);
            assertThat(empty.version()).isEqualTo(1);
            assertThat(store.allEvents()).hasSize(1);
        }

        @Test
        void invalid_fields_are_all_reported() {
            User ada = createAda();

            UserRejection rejection = rejectionOf(() -> service.updateProfile(
                    profileUpdate(ada.id().toString(), "y".repeat(101), "ok", "javascript:alert(1)"), CONTEXT));

            assertThat(fieldsOf(rejection)).containsExactly("first_name", "avatar_url");
            assertThat(store.events(ada.id())).hasSize(1);
        }
    }

    // ---------------------------------------------------------------- change password

    @Nested
    @DisplayName("changePassword")
    class ChangePasswordTests {

        @Test
        void hashes_the_new_password_and_records_only_the_hash() {
            User ada = createAda();
            PasswordHash oldHash = ada.passwordHash();

            User changed = service.changePassword(
                    new ChangePassword(ada.id().toString(), NEW_PASSWORD, OptionalLong.empty()), CONTEXT);

            assertThat(hasher.calls()).isEqualTo(2);
            PasswordHash newHash = hasher.lastProduced();
            assertThat(newHash).isNotEqualTo(oldHash);
            assertThat(changed.passwordHash()).isEqualTo(newHash);
            assertThat(changed.version()).isEqualTo(2);
            assertThat(eventsOf(ada)).last().isEqualTo(new PasswordChanged(ada.id(), newHash, NOW));
            assertThat(hasher.matches(PlainPassword.parse(NEW_PASSWORD), changed.passwordHash())).isTrue();
            assertThat(hasher.matches(PlainPassword.parse(PASSWORD), changed.passwordHash())).isFalse();
            assertNoPlaintextAnywhere(NEW_PASSWORD, changed);
            assertNoPlaintextAnywhere(PASSWORD, changed);
        }

        @Test
        void the_same_password_again_is_still_recorded_with_a_fresh_hash() {
            User ada = createAda();

            User changed = service.changePassword(
                    new ChangePassword(ada.id().toString(), PASSWORD, OptionalLong.empty()), CONTEXT);

            assertThat(changed.version()).isEqualTo(2);
            assertThat(changed.passwordHash()).isNotEqualTo(ada.passwordHash());
        }

        @Test
        void an_invalid_password_is_refused_before_hashing() {
            User ada = createAda();

            UserRejection rejection = rejectionOf(() -> service.changePassword(
                    new ChangePassword(ada.id().toString(), "short", OptionalLong.empty()), CONTEXT));

            assertThat(fieldsOf(rejection)).containsExactly("new_password");
            assertThat(hasher.calls()).isEqualTo(1);
            assertThat(store.events(ada.id())).hasSize(1);
        }

        @Test
        void saturated_password_hashing_reaches_the_caller_and_records_nothing() {
            User ada = createAda();
            service = new UserCommandService(store, saturatedHasher(), clock, ids);

            assertThat(catchThrowable(() -> service.changePassword(
                    new ChangePassword(ada.id().toString(), NEW_PASSWORD, OptionalLong.empty()), CONTEXT)))
                    .isInstanceOf(PasswordHashingSaturatedException.class);
            assertThat(store.events(ada.id())).hasSize(1);
        }

        @Test
        void the_command_does_not_reveal_the_password_in_its_string_form() {
            assertThat(new ChangePassword(UNKNOWN_ID, NEW_PASSWORD, OptionalLong.empty()).toString())
                    .doesNotContain(NEW_PASSWORD);
            assertThat(new CreateUser("a@b.co", "abc", PASSWORD, null, null, null).toString()).doesNotContain(PASSWORD);
        }
    }

    /** A hasher whose capacity is always saturated, as the bounded pool is under a flood. */
    static PasswordHasher saturatedHasher() {
        return new PasswordHasher() {
            @Override
            public PasswordHash hash(PlainPassword password) {
                throw new PasswordHashingSaturatedException("password hashing capacity is saturated; retry later",
                        Duration.ofMillis(100));
            }

            @Override
            public boolean matches(PlainPassword password, PasswordHash hash) {
                throw new PasswordHashingSaturatedException("password hashing capacity is saturated; retry later",
                        Duration.ofMillis(100));
            }
        };
    }

    // ---------------------------------------------------------------- shared assertions

    void assertNoPlaintextAnywhere(String plaintext, User user) {
        List<String> texts = new ArrayList<>();
        texts.add(user.toString());
        texts.add(user.passwordHash().encoded());
        for (RecordedUserEvent recorded : store.allEvents()) {
            texts.add(recorded.toString());
            texts.add(recorded.event().toString());
            if (recorded.event() instanceof UserCreated created) {
                texts.add(created.passwordHash().encoded());
            }
            if (recorded.event() instanceof PasswordChanged changed) {
                texts.add(changed.passwordHash().encoded());
            }
        }
        store.appendRequests().forEach(request -> texts.add(request.toString()));
        hasher.produced().forEach(hash -> texts.add(hash.encoded()));
        assertThat(texts).isNotEmpty().noneMatch(text -> text.contains(plaintext));
    }
}
