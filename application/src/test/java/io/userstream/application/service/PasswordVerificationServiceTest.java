package io.userstream.application.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.userstream.application.fakes.FakePasswordHasher;
import io.userstream.application.fakes.FixedTimeSource;
import io.userstream.application.fakes.InMemoryUserEventStore;
import io.userstream.application.fakes.SequentialIdGenerator;
import io.userstream.application.port.in.CommandContext;
import io.userstream.application.port.in.CreateUserUseCase;
import io.userstream.application.port.in.TooManyAttemptsException;
import io.userstream.application.port.in.UserCommand;
import io.userstream.application.port.in.VerifyPasswordUseCase.Verification;
import io.userstream.application.port.in.VerifyPasswordUseCase.VerifyPassword;
import io.userstream.application.port.out.PasswordHasher;
import io.userstream.application.support.AttemptLimiter;
import io.userstream.domain.user.PasswordHash;
import io.userstream.domain.user.PlainPassword;
import io.userstream.domain.user.User;
import io.userstream.domain.user.UserEvent;
import io.userstream.domain.user.UserRejectedException;
import io.userstream.domain.user.UserStatus;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicInteger;

class PasswordVerificationServiceTest {

    static final Instant NOW = Instant.parse("2025-01-15T10:00:00Z");
    static final CommandContext LOGIN_SERVICE = new CommandContext("corr", Optional.empty(), "login-service");
    static final String PASSWORD = "correct horse battery staple";

    InMemoryUserEventStore store;
    CountingHasher hasher;
    FixedTimeSource clock;
    UserCommandService commands;
    PasswordVerificationService verification;
    User ada;

    /** The fake hasher, counting comparisons, and calling every hash not made by it stale. */
    static final class CountingHasher implements PasswordHasher {
        final FakePasswordHasher fake = new FakePasswordHasher();
        final AtomicInteger comparisons = new AtomicInteger();
        final List<PasswordHash> stale = new ArrayList<>();

        @Override
        public PasswordHash hash(PlainPassword password) {
            return fake.hash(password);
        }

        @Override
        public boolean matches(PlainPassword password, PasswordHash hash) {
            comparisons.incrementAndGet();
            return fake.matches(password, hash);
        }

        @Override
        public boolean needsRehash(PasswordHash hash) {
            return stale.contains(hash);
        }
    }

    @BeforeEach
    void setUp() {
        store = new InMemoryUserEventStore();
        hasher = new CountingHasher();
        clock = new FixedTimeSource(NOW);
        commands = new UserCommandService(store, hasher, clock, new SequentialIdGenerator());
        ada = commands.createUser(new CreateUserUseCase.CreateUser("Ada@Example.com", "ada", PASSWORD, "Ada",
                "Lovelace", ""), LOGIN_SERVICE);
        verification = new PasswordVerificationService(store, hasher, commands,
                new AttemptLimiter(new AttemptLimiter.Limit(3, Duration.ofMinutes(15), 100), clock),
                new AttemptLimiter(new AttemptLimiter.Limit(5, Duration.ofMinutes(1), 100), clock));
        hasher.comparisons.set(0);
    }

    private Verification verify(String login, String password) {
        return verification.verifyPassword(new VerifyPassword(login, password), LOGIN_SERVICE);
    }

    private Verification verify(String login, String password, String caller) {
        return verification.verifyPassword(new VerifyPassword(login, password),
                new CommandContext("corr", Optional.empty(), caller));
    }

    @Test
    void the_right_password_by_username_or_email_is_valid_and_names_the_user() {
        for (String login : List.of("ada", "ada@example.com", "ADA@EXAMPLE.COM", " ada ")) {
            Verification answer = verify(login, PASSWORD);
            assertThat(answer.valid()).as(login).isTrue();
            assertThat(answer.userId()).contains(ada.id());
            assertThat(answer.status()).contains(UserStatus.ACTIVE);
        }
    }

    @Test
    void unknown_user_deleted_user_wrong_password_and_absurd_password_all_say_only_invalid_after_one_comparison() {
        commands.deleteUser(new UserCommand(commands.createUser(new CreateUserUseCase.CreateUser("bob@example.com",
                "bob", PASSWORD, "", "", ""), LOGIN_SERVICE).id().toString(), OptionalLong.empty()), LOGIN_SERVICE);
        hasher.comparisons.set(0);
        List<Verification> answers = List.of(
                verify("nobody", PASSWORD, "c1"),
                verify("nobody@example.com", PASSWORD, "c2"),
                verify("not a name!", PASSWORD, "c3"),
                verify("bob", PASSWORD, "c4"),
                verify("ada", "wrong password", "c5"),
                verify("ada", "short", "c6"));
        assertThat(answers).containsOnly(Verification.INVALID);
        assertThat(hasher.comparisons.get()).as("one comparison each, known user or not").isEqualTo(answers.size());
    }

    @Test
    void an_account_is_locked_after_its_failures_until_the_window_ends_and_a_success_resets_it() {
        verify("ada", "wrong password 1", "c1");
        verify("ada", "wrong password 2", "c2");
        assertThat(verify("ada", PASSWORD, "c3").valid()).as("a success before the limit").isTrue();
        for (int i = 0; i < 3; i++) {
            verify("ADA", "wrong password", "c" + (10 + i));
        }
        int comparisons = hasher.comparisons.get();
        assertThatThrownBy(() -> verify("ada", PASSWORD, "c20"))
                .isInstanceOf(TooManyAttemptsException.class)
                .satisfies(e -> assertThat(((TooManyAttemptsException) e).retryAfter()).isEqualTo(Duration.ofMinutes(15)));
        assertThat(hasher.comparisons.get()).as("a refused attempt costs no hash").isEqualTo(comparisons);
        clock.set(NOW.plus(Duration.ofMinutes(15)));
        assertThat(verify("ada", PASSWORD, "c21").valid()).isTrue();
    }

    @Test
    void a_caller_is_stopped_after_its_failures_across_accounts() {
        for (int i = 0; i < 5; i++) {
            verify("user" + i, PASSWORD, "stuffer");
        }
        assertThatThrownBy(() -> verify("ada", PASSWORD, "stuffer")).isInstanceOf(TooManyAttemptsException.class);
        assertThat(verify("ada", PASSWORD, "another-caller").valid()).isTrue();
    }

    @Test
    void a_correct_password_on_a_stale_hash_is_hashed_again_and_a_wrong_one_is_not() {
        hasher.stale.add(ada.passwordHash());
        verify("ada", "wrong password");
        assertThat(store.events(ada.id())).hasSize(1);

        assertThat(verify("ada", PASSWORD).valid()).isTrue();
        var events = store.events(ada.id());
        assertThat(events).hasSize(2);
        assertThat(events.getLast().event()).isInstanceOf(UserEvent.PasswordChanged.class);
        assertThat(events.getLast().metadata().actor()).isEqualTo(PasswordVerificationService.REHASH_ACTOR);
        assertThat(verify("ada", PASSWORD).valid()).as("the new hash verifies").isTrue();
        assertThat(store.events(ada.id())).as("and is not stale").hasSize(2);
    }

    @Test
    void an_empty_login_or_password_is_invalid_input_naming_the_field() {
        assertThatThrownBy(() -> verify(" ", "")).isInstanceOf(UserRejectedException.class)
                .hasMessageContaining("login").hasMessageContaining("password");
    }
}
