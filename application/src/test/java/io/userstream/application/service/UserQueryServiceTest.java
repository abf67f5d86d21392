package io.userstream.application.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.userstream.application.fakes.FakePasswordHasher;
import io.userstream.application.fakes.FixedTimeSource;
import io.userstream.application.fakes.InMemoryUserEventStore;
import io.userstream.application.fakes.SequentialIdGenerator;
import io.userstream.application.port.in.ChangeEmailUseCase.ChangeEmail;
import io.userstream.application.port.in.CommandContext;
import io.userstream.application.port.in.CreateUserUseCase.CreateUser;
import io.userstream.application.port.in.UserCommand;
import io.userstream.domain.user.FieldViolation;
import io.userstream.domain.user.User;
import io.userstream.domain.user.UserId;
import io.userstream.domain.user.UserRejectedException;
import io.userstream.domain.user.UserRejection;
import io.userstream.domain.user.UserRejection.InvalidInput;
import io.userstream.domain.user.UserRejection.UserNotFound;
import io.userstream.domain.user.UserStatus;

import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class UserQueryServiceTest {

    static final CommandContext CONTEXT = new CommandContext("corr", Optional.empty(), "test");

    InMemoryUserEventStore store;
    UserCommandService commands;
    UserQueryService queries;

    @BeforeEach
    void setUp() {
        store = new InMemoryUserEventStore();
        commands = new UserCommandService(store, new FakePasswordHasher(),
                new FixedTimeSource(Instant.parse("2025-02-01T08:00:00Z")), new SequentialIdGenerator());
        queries = new UserQueryService(store);
    }

    User createAda() {
        return commands.createUser(new CreateUser("Ada@Example.com", "ada", "correct horse battery staple",
                "Ada", null, null), CONTEXT);
    }

    static UserRejection rejectionOf(Runnable call) {
        Throwable thrown = catchThrowable(call::run);
        assertThat(thrown).isInstanceOf(UserRejectedException.class);
        return ((UserRejectedException) thrown).rejection();
    }

    @Test
    void returns_the_user_folded_from_all_its_events() {
        User ada = createAda();
        commands.changeEmail(new ChangeEmail(ada.id().toString(), "countess@lovelace.org", OptionalLong.empty()), CONTEXT);
        User last = commands.deactivateUser(new UserCommand(ada.id().toString(), OptionalLong.empty()), CONTEXT);

        User read = queries.getUser(" " + ada.id().toString().toUpperCase() + " ");

        assertThat(read.id()).isEqualTo(ada.id());
        assertThat(read.version()).isEqualTo(3).isEqualTo(last.version());
        assertThat(read.email().value()).isEqualTo("countess@lovelace.org");
        assertThat(read.status()).isEqualTo(UserStatus.INACTIVE);
        assertThat(read.profile()).isEqualTo(last.profile());
        assertThat(read.passwordHash()).isEqualTo(ada.passwordHash());
        assertThat(read.createdAt()).isEqualTo(ada.createdAt());
    }

    @Test
    void a_deleted_user_is_returned_as_deleted() {
        User ada = createAda();
        commands.deleteUser(new UserCommand(ada.id().toString(), OptionalLong.empty()), CONTEXT);

        User read = queries.getUser(ada.id().toString());

        assertThat(read.status()).isEqualTo(UserStatus.DELETED);
        assertThat(read.deletedAt()).isNotNull();
    }

    @Test
    void an_unknown_id_is_user_not_found() {
        createAda();
        String unknown = "0190c8a2-6f3e-7b1a-9c4d-2e5f6a7b8c9d";

        assertThat(rejectionOf(() -> queries.getUser(unknown))).isEqualTo(new UserNotFound(UserId.parse(unknown)));
    }

    @Test
    void a_malformed_id_is_invalid_input_on_user_id() {
        UserRejection rejection = rejectionOf(() -> queries.getUser("42"));

        assertThat(rejection).isInstanceOf(InvalidInput.class);
        assertThat(((InvalidInput) rejection).violations()).extracting(FieldViolation::field).containsExactly("user_id");
        assertThat(store.loads()).isZero();
    }
}
