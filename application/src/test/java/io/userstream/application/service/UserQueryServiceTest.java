package io.userstream.application.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.userstream.application.fakes.FakePasswordHasher;
import io.userstream.application.fakes.FixedTimeSource;
import io.userstream.application.fakes.InMemoryAuditTrail;
import io.userstream.application.fakes.InMemoryUserEventStore;
import io.userstream.application.fakes.InMemoryUserReadModel;
import io.userstream.application.fakes.SequentialIdGenerator;
import io.userstream.application.port.in.ChangeEmailUseCase.ChangeEmail;
import io.userstream.application.port.in.CommandContext;
import io.userstream.application.port.in.CreateUserUseCase.CreateUser;
import io.userstream.application.port.in.ListUsersQuery.ListUsers;
import io.userstream.application.port.in.ListUsersQuery.Page;
import io.userstream.application.port.in.UserCommand;
import io.userstream.application.view.AuditEntry;
import io.userstream.application.view.UserView;
import io.userstream.domain.user.FieldViolation;
import io.userstream.domain.user.User;
import io.userstream.domain.user.UserId;
import io.userstream.domain.user.UserRejectedException;
import io.userstream.domain.user.UserRejection;
import io.userstream.domain.user.UserRejection.InvalidInput;
import io.userstream.domain.user.UserRejection.NoUserWithEmail;
import io.userstream.domain.user.UserRejection.NoUserWithUsername;
import io.userstream.domain.user.UserRejection.ReadModelBehind;
import io.userstream.domain.user.UserRejection.UserNotFound;
import io.userstream.domain.user.UserRejection.VersionNotFound;
import io.userstream.domain.user.UserStatus;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class UserQueryServiceTest {

    static final Instant T0 = Instant.parse("2025-02-01T08:00:00Z");
    static final CommandContext CONTEXT = new CommandContext("corr-7", Optional.of("cause-7"), "admin");
    static final String UNKNOWN_ID = "0190c8a2-6f3e-7b1a-9c4d-2e5f6a7b8c9d";
    static final OptionalLong ANY_VERSION = OptionalLong.empty();

    FixedTimeSource clock;
    InMemoryUserEventStore store;
    InMemoryUserReadModel readModel;
    UserCommandService commands;
    UserQueryService queries;

    /** Every pause the service took while waiting for the read model; each one moves the clock on. */
    List<Duration> pauses;
    /** Plays the projection catching up: runs after the {@link #catchUpAfterPauses}-th pause. */
    Runnable catchUp;
    int catchUpAfterPauses;

    @BeforeEach
    void setUp() {
        clock = new FixedTimeSource(T0);
        store = new InMemoryUserEventStore(clock);
        readModel = new InMemoryUserReadModel();
        commands = new UserCommandService(store, new FakePasswordHasher(), clock, new SequentialIdGenerator());
        pauses = new ArrayList<>();
        queries = new UserQueryService(readModel, new InMemoryAuditTrail(store), store, clock, duration -> {
            pauses.add(duration);
            clock.advance(duration);
            if (catchUp != null && pauses.size() == catchUpAfterPauses) {
                catchUp.run();
            }
        });
    }

    User create(String email, String username) {
        return commands.createUser(new CreateUser(email, username, "correct horse battery staple",
                "Ada", "Lovelace", "https://example.com/ada.png"), CONTEXT);
    }

    User createAda() {
        return create("Ada@Example.com", "ada");
    }

    User deactivate(User user) {
        return commands.deactivateUser(new UserCommand(user.id().toString(), ANY_VERSION), CONTEXT);
    }

    User delete(User user) {
        return commands.deleteUser(new UserCommand(user.id().toString(), ANY_VERSION), CONTEXT);
    }

    /** The projection has caught up with {@code user}. */
    UserView project(User user) {
        UserView view = UserView.of(user);
        readModel.put(view);
        return view;
    }

    Instant inFiveSeconds() {
        return clock.now().plusSeconds(5);
    }

    static UserRejection rejectionOf(Runnable call) {
        Throwable thrown = catchThrowable(call::run);
        assertThat(thrown).isInstanceOf(UserRejectedException.class);
        return ((UserRejectedException) thrown).rejection();
    }

    static List<String> invalidFields(Runnable call) {
        UserRejection rejection = rejectionOf(call);
        assertThat(rejection).isInstanceOf(InvalidInput.class);
        return ((InvalidInput) rejection).violations().stream().map(FieldViolation::field).toList();
    }

    @Nested
    class GetUser {

        @Test
        void returns_what_the_read_model_shows_without_waiting() {
            User ada = createAda();
            UserView projected = project(ada);

            UserView read = queries.getUser(" " + ada.id().toString().toUpperCase() + " ", ANY_VERSION, inFiveSeconds());

            assertThat(read).isEqualTo(projected);
            assertThat(read.email()).isEqualTo("Ada@example.com");
            assertThat(read.firstName()).isEqualTo("Ada");
            assertThat(read.version()).isEqualTo(1);
            assertThat(pauses).isEmpty();
        }

        @Test
        void a_deleted_user_is_returned_as_deleted() {
            User ada = createAda();
            project(delete(ada));

            UserView read = queries.getUser(ada.id().toString(), ANY_VERSION, inFiveSeconds());

            assertThat(read.status()).isEqualTo(UserStatus.DELETED);
            assertThat(read.deletedAt()).isEqualTo(T0);
        }

        @Test
        void without_min_version_a_user_the_read_model_does_not_show_yet_is_not_found_at_once() {
            User ada = createAda();

            assertThat(rejectionOf(() -> queries.getUser(ada.id().toString(), ANY_VERSION, inFiveSeconds())))
                    .isEqualTo(new UserNotFound(ada.id()));
            assertThat(pauses).isEmpty();
        }

        @Test
        void an_unknown_id_is_user_not_found() {
            assertThat(rejectionOf(() -> queries.getUser(UNKNOWN_ID, ANY_VERSION, inFiveSeconds())))
                    .isEqualTo(new UserNotFound(UserId.parse(UNKNOWN_ID)));
        }

        @Test
        void malformed_input_names_every_offending_field_and_reads_nothing() {
            assertThat(invalidFields(() -> queries.getUser("42", OptionalLong.of(0), inFiveSeconds())))
                    .containsExactly("user_id", "min_version");
            assertThat(invalidFields(() -> queries.getUser("", ANY_VERSION, inFiveSeconds())))
                    .containsExactly("user_id");
            assertThat(readModel.reads()).isZero();
        }

        @Test
        void a_min_version_the_read_model_has_reached_is_answered_at_once_even_by_a_newer_version() {
            User ada = createAda();
            project(deactivate(ada));

            UserView read = queries.getUser(ada.id().toString(), OptionalLong.of(1), inFiveSeconds());

            assertThat(read.version()).isEqualTo(2);
            assertThat(read.status()).isEqualTo(UserStatus.INACTIVE);
            assertThat(pauses).isEmpty();
        }

        @Test
        void waits_with_growing_pauses_until_the_read_model_shows_the_callers_write() {
            User ada = createAda();
            project(ada);
            User deactivated = deactivate(ada);
            catchUp = () -> project(deactivated);
            catchUpAfterPauses = 3;

            UserView read = queries.getUser(ada.id().toString(), OptionalLong.of(deactivated.version()), inFiveSeconds());

            assertThat(read).isEqualTo(UserView.of(deactivated));
            assertThat(pauses).containsExactly(Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(20));
        }

        @Test
        void waits_for_a_new_user_the_read_model_does_not_show_at_all_yet() {
            User ada = createAda();
            catchUp = () -> project(ada);
            catchUpAfterPauses = 1;

            UserView read = queries.getUser(ada.id().toString(), OptionalLong.of(1), inFiveSeconds());

            assertThat(read).isEqualTo(UserView.of(ada));
            assertThat(pauses).hasSize(1);
        }

        @Test
        void at_the_deadline_it_fails_as_read_model_behind_and_never_waits_past_the_deadline() {
            User ada = createAda();
            project(ada);
            deactivate(ada);
            Instant deadline = clock.now().plusSeconds(1);

            UserRejection rejection = rejectionOf(() -> queries.getUser(ada.id().toString(), OptionalLong.of(2), deadline));

            assertThat(rejection).isEqualTo(new ReadModelBehind(ada.id(), 2, 1));
            assertThat(rejection.message()).contains("version 1", "version 2");
            assertThat(pauses.subList(0, 6)).containsExactly(Duration.ofMillis(5), Duration.ofMillis(10),
                    Duration.ofMillis(20), Duration.ofMillis(40), Duration.ofMillis(80), Duration.ofMillis(100));
            assertThat(pauses).allSatisfy(pause -> assertThat(pause).isPositive().isLessThanOrEqualTo(Duration.ofMillis(100)));
            assertThat(clock.now()).isEqualTo(deadline);
        }

        @Test
        void a_deadline_already_past_gets_one_read_and_no_wait() {
            User ada = createAda();

            UserRejection rejection = rejectionOf(() -> queries.getUser(ada.id().toString(), OptionalLong.of(1),
                    clock.now().minusMillis(1)));

            assertThat(rejection).isEqualTo(new ReadModelBehind(ada.id(), 1, 0));
            assertThat(pauses).isEmpty();
        }

        @Test
        void a_min_version_the_users_history_has_not_reached_fails_at_once_instead_of_at_the_deadline() {
            User ada = createAda();
            project(ada);

            assertThat(rejectionOf(() -> queries.getUser(ada.id().toString(), OptionalLong.of(5), inFiveSeconds())))
                    .isEqualTo(new VersionNotFound(ada.id(), 5, 1));
            assertThat(rejectionOf(() -> queries.getUser(UNKNOWN_ID, OptionalLong.of(1), inFiveSeconds())))
                    .isEqualTo(new UserNotFound(UserId.parse(UNKNOWN_ID)));
            assertThat(pauses).isEmpty();
        }

        @Test
        void with_the_real_clock_a_waiting_call_returns_as_soon_as_the_projection_catches_up() throws Exception {
            UserQueryService realTime = new UserQueryService(readModel, new InMemoryAuditTrail(store), store, Instant::now);
            User ada = createAda();
            Instant deadline = Instant.now().plusSeconds(30);

            CompletableFuture<UserView> call = CompletableFuture.supplyAsync(
                    () -> realTime.getUser(ada.id().toString(), OptionalLong.of(1), deadline));
            awaitCondition(() -> readModel.reads() >= 2, Duration.ofSeconds(10));
            project(ada);

            assertThat(call.get(10, TimeUnit.SECONDS)).isEqualTo(UserView.of(ada));
            assertThat(Instant.now()).isBefore(deadline);
        }

        private static void awaitCondition(BooleanSupplier condition, Duration timeout) throws InterruptedException {
            Instant giveUp = Instant.now().plus(timeout);
            while (!condition.getAsBoolean()) {
                assertThat(Instant.now()).as("condition reached in time").isBefore(giveUp);
                Thread.sleep(1);
            }
        }
    }

    @Nested
    class FindUserByEmail {

        @Test
        void finds_the_holder_whatever_the_case_of_the_address() {
            User ada = createAda();
            project(ada);

            assertThat(queries.findUserByEmail("  ADA@example.COM ")).isEqualTo(UserView.of(ada));
            assertThat(queries.findUserByEmail("ada@example.com").id()).isEqualTo(ada.id());
        }

        @Test
        void a_deleted_user_no_longer_holds_its_address() {
            User ada = createAda();
            project(delete(ada));

            UserRejection rejection = rejectionOf(() -> queries.findUserByEmail("ada@example.com"));

            assertThat(rejection).isInstanceOf(NoUserWithEmail.class);
            assertThat(rejection.message()).contains("ada@example.com");
        }

        @Test
        void an_address_given_up_by_a_deleted_user_leads_to_its_new_holder() {
            project(delete(createAda()));
            User newAda = create("ada@example.com", "ada2");
            project(newAda);

            assertThat(queries.findUserByEmail("Ada@Example.com")).isEqualTo(UserView.of(newAda));
        }

        @Test
        void a_malformed_address_is_invalid_input_on_email() {
            assertThat(invalidFields(() -> queries.findUserByEmail("not-an-address"))).containsExactly("email");
            assertThat(invalidFields(() -> queries.findUserByEmail(null))).containsExactly("email");
            assertThat(readModel.reads()).isZero();
        }
    }

    @Nested
    class FindUserByUsername {

        @Test
        void finds_the_holder() {
            User ada = createAda();
            project(ada);

            assertThat(queries.findUserByUsername(" ada ")).isEqualTo(UserView.of(ada));
        }

        @Test
        void a_deleted_user_no_longer_holds_its_username() {
            User ada = createAda();
            project(delete(ada));

            assertThat(rejectionOf(() -> queries.findUserByUsername("ada"))).isInstanceOf(NoUserWithUsername.class);
        }

        @Test
        void a_malformed_username_is_invalid_input_on_username() {
            assertThat(invalidFields(() -> queries.findUserByUsername("Ada"))).containsExactly("username");
            assertThat(invalidFields(() -> queries.findUserByUsername("x"))).containsExactly("username");
            assertThat(readModel.reads()).isZero();
        }
    }

    @Nested
    class ListUsersPages {

        /** Users straight into the read model, ids 1..count, every third one inactive. */
        List<UserView> projectUsers(int count) {
            List<UserView> views = new ArrayList<>();
            for (int n = 1; n <= count; n++) {
                UserView view = new UserView(new UserId(SequentialIdGenerator.nth(n)), "u" + n + "@example.com",
                        "user" + n, "", "", "", n % 3 == 0 ? UserStatus.INACTIVE : UserStatus.ACTIVE, T0, T0, null, 1);
                readModel.put(view);
                views.add(view);
            }
            return views;
        }

        List<List<UserView>> walk(int pageSize, Optional<UserStatus> status) {
            List<List<UserView>> pages = new ArrayList<>();
            String token = "";
            do {
                Page page = queries.listUsers(new ListUsers(pageSize, token, status));
                pages.add(page.users());
                token = page.nextPageToken().orElse("");
                assertThat(pages).as("pages so far").hasSizeLessThan(100);
            } while (!token.isEmpty());
            return pages;
        }

        @Test
        void walking_the_pages_shows_every_user_once_in_id_order() {
            List<UserView> users = projectUsers(7);

            List<List<UserView>> pages = walk(3, Optional.empty());

            assertThat(pages).extracting(List::size).containsExactly(3, 3, 1);
            assertThat(pages.stream().flatMap(List::stream).toList()).isEqualTo(users);
        }

        @Test
        void a_last_page_that_is_exactly_full_carries_no_token() {
            projectUsers(6);

            assertThat(walk(3, Optional.empty())).extracting(List::size).containsExactly(3, 3);
        }

        @Test
        void a_status_filter_pages_through_only_users_with_that_status() {
            List<UserView> users = projectUsers(10);

            List<List<UserView>> pages = walk(2, Optional.of(UserStatus.INACTIVE));

            assertThat(pages.stream().flatMap(List::stream).toList())
                    .isEqualTo(users.stream().filter(user -> user.status() == UserStatus.INACTIVE).toList())
                    .hasSize(3);
        }

        @Test
        void an_empty_read_model_is_one_empty_last_page() {
            Page page = queries.listUsers(new ListUsers(10, "", Optional.empty()));

            assertThat(page.users()).isEmpty();
            assertThat(page.nextPageToken()).isEmpty();
        }

        @Test
        void page_size_zero_means_one_hundred_and_one_thousand_is_the_most() {
            projectUsers(1001);

            assertThat(queries.listUsers(new ListUsers(0, null, Optional.empty())).users()).hasSize(100);
            assertThat(queries.listUsers(new ListUsers(1000, null, Optional.empty())).users()).hasSize(1000);
        }

        @Test
        void a_page_size_out_of_range_is_invalid_input_on_page_size() {
            assertThat(invalidFields(() -> queries.listUsers(new ListUsers(1001, "", Optional.empty()))))
                    .containsExactly("page_size");
            assertThat(invalidFields(() -> queries.listUsers(new ListUsers(-1, "", Optional.empty()))))
                    .containsExactly("page_size");
        }

        @Test
        void a_token_that_no_page_produced_is_invalid_input_on_page_token() {
            projectUsers(3);

            for (String forged : List.of("not base64!", "AAAA", UUID.randomUUID().toString())) {
                assertThat(invalidFields(() -> queries.listUsers(new ListUsers(2, forged, Optional.empty()))))
                        .as(forged).containsExactly("page_token");
            }
            assertThat(invalidFields(() -> queries.listUsers(new ListUsers(5000, "%%", Optional.empty()))))
                    .containsExactly("page_size", "page_token");
        }

        @Test
        void tokens_are_opaque_url_safe_strings_that_do_not_show_the_id() {
            projectUsers(3);

            String token = queries.listUsers(new ListUsers(1, "", Optional.empty())).nextPageToken().orElseThrow();

            assertThat(token).matches("[A-Za-z0-9_-]+").doesNotContain(SequentialIdGenerator.nth(1).toString());
        }
    }

    @Nested
    class GetUserHistory {

        @Test
        void lists_every_event_oldest_first_with_who_caused_it() {
            User ada = createAda();
            clock.advance(Duration.ofMinutes(1));
            commands.changeEmail(new ChangeEmail(ada.id().toString(), "countess@lovelace.org", ANY_VERSION), CONTEXT);
            delete(ada);

            List<AuditEntry> history = queries.getUserHistory(ada.id().toString());

            assertThat(history).extracting(AuditEntry::eventType)
                    .containsExactly("UserCreated", "EmailChanged", "UserDeleted");
            assertThat(history).extracting(AuditEntry::version).containsExactly(1L, 2L, 3L);
            assertThat(history).allSatisfy(entry -> {
                assertThat(entry.correlationId()).isEqualTo("corr-7");
                assertThat(entry.causationId()).isEqualTo("cause-7");
                assertThat(entry.actor()).isEqualTo("admin");
            });
            assertThat(history.get(1).occurredAt()).isEqualTo(T0.plus(Duration.ofMinutes(1)));
        }

        @Test
        void the_history_is_complete_even_while_the_read_model_shows_nothing() {
            User ada = createAda();

            assertThat(queries.getUserHistory(ada.id().toString())).hasSize(1);
            assertThat(readModel.reads()).isZero();
        }

        @Test
        void an_unknown_or_malformed_id_is_rejected() {
            assertThat(rejectionOf(() -> queries.getUserHistory(UNKNOWN_ID)))
                    .isEqualTo(new UserNotFound(UserId.parse(UNKNOWN_ID)));
            assertThat(invalidFields(() -> queries.getUserHistory("nope"))).containsExactly("user_id");
        }
    }

    @Nested
    class GetUserAt {

        static final Instant T1 = T0.plus(Duration.ofHours(1));
        static final Instant T2 = T0.plus(Duration.ofHours(2));

        User ada;

        /** Created at T0, e-mail changed at T1, deactivated at T2. */
        @BeforeEach
        void history() {
            ada = createAda();
            clock.set(T1);
            commands.changeEmail(new ChangeEmail(ada.id().toString(), "countess@lovelace.org", ANY_VERSION), CONTEXT);
            clock.set(T2);
            deactivate(ada);
        }

        @Test
        void at_a_version_shows_the_user_after_exactly_that_many_events() {
            UserView first = queries.getUserAtVersion(ada.id().toString(), 1);
            UserView second = queries.getUserAtVersion(ada.id().toString(), 2);
            UserView third = queries.getUserAtVersion(ada.id().toString(), 3);

            assertThat(first).isEqualTo(UserView.of(ada));
            assertThat(second.email()).isEqualTo("countess@lovelace.org");
            assertThat(second.status()).isEqualTo(UserStatus.ACTIVE);
            assertThat(second.updatedAt()).isEqualTo(T1);
            assertThat(second.version()).isEqualTo(2);
            assertThat(third.status()).isEqualTo(UserStatus.INACTIVE);
            assertThat(third.version()).isEqualTo(3);
        }

        @Test
        void a_version_beyond_the_latest_is_version_not_found_and_below_one_is_invalid() {
            assertThat(rejectionOf(() -> queries.getUserAtVersion(ada.id().toString(), 4)))
                    .isEqualTo(new VersionNotFound(ada.id(), 4, 3));
            assertThat(invalidFields(() -> queries.getUserAtVersion(ada.id().toString(), 0))).containsExactly("version");
            assertThat(invalidFields(() -> queries.getUserAtVersion("x", -1))).containsExactly("user_id", "version");
        }

        @Test
        void as_of_a_time_shows_every_event_that_occurred_at_or_before_it() {
            assertThat(queries.getUserAsOf(ada.id().toString(), T0).version()).isEqualTo(1);
            assertThat(queries.getUserAsOf(ada.id().toString(), T1.minusNanos(1)).email()).isEqualTo("Ada@example.com");
            assertThat(queries.getUserAsOf(ada.id().toString(), T1).email()).isEqualTo("countess@lovelace.org");
            assertThat(queries.getUserAsOf(ada.id().toString(), T2.plusSeconds(86_400)))
                    .isEqualTo(queries.getUserAtVersion(ada.id().toString(), 3));
        }

        @Test
        void as_of_a_time_before_the_user_existed_is_user_not_found() {
            assertThat(rejectionOf(() -> queries.getUserAsOf(ada.id().toString(), T0.minusNanos(1))))
                    .isEqualTo(new UserNotFound(ada.id()));
        }

        @Test
        void a_deleted_user_is_shown_as_it_was_before_and_as_deleted_after() {
            clock.set(T2.plusSeconds(60));
            delete(ada);

            assertThat(queries.getUserAsOf(ada.id().toString(), T2).status()).isEqualTo(UserStatus.INACTIVE);
            UserView deleted = queries.getUserAsOf(ada.id().toString(), T2.plusSeconds(60));
            assertThat(deleted.status()).isEqualTo(UserStatus.DELETED);
            assertThat(deleted.deletedAt()).isEqualTo(T2.plusSeconds(60));
        }

        @Test
        void an_unknown_or_malformed_id_is_rejected() {
            assertThat(rejectionOf(() -> queries.getUserAsOf(UNKNOWN_ID, T2)))
                    .isEqualTo(new UserNotFound(UserId.parse(UNKNOWN_ID)));
            assertThat(rejectionOf(() -> queries.getUserAtVersion(UNKNOWN_ID, 1)))
                    .isEqualTo(new UserNotFound(UserId.parse(UNKNOWN_ID)));
            assertThat(invalidFields(() -> queries.getUserAsOf("x", null))).containsExactly("user_id", "as_of");
        }
    }
}
