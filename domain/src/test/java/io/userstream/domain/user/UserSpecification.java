package io.userstream.domain.user;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * A tiny given / when / then harness for the {@link User} aggregate, no framework involved.
 *
 * <pre>{@code
 * given(created(), deactivated(T1))
 *         .when(user -> user.activate(T2))
 *         .thenEvents(new UserActivated(ID, T2));
 * }</pre>
 *
 * <p>{@code given()} with no events means "no user exists yet": the command then receives
 * {@code null} and is expected to ignore it (only {@link User#create} does).
 */
final class UserSpecification {

    private final List<UserEvent> history;
    private Function<User, List<UserEvent>> command;

    private UserSpecification(List<UserEvent> history) {
        this.history = history;
    }

    /** The events already in the user's stream, oldest first. */
    static UserSpecification given(UserEvent... history) {
        return new UserSpecification(List.of(history));
    }

    /** The command to decide against the user folded from the given history. */
    UserSpecification when(Function<User, List<UserEvent>> command) {
        this.command = Objects.requireNonNull(command, "command");
        return this;
    }

    /**
     * Asserts the command decided exactly these events, in this order, and returns the user the
     * whole stream (history plus the new events) folds to, for assertions on the resulting state.
     */
    User thenEvents(UserEvent... expected) {
        List<UserEvent> decided = decide();
        assertThat(decided).as("events decided").containsExactly(expected);
        List<UserEvent> stream = new ArrayList<>(history);
        stream.addAll(decided);
        return User.fromHistory(stream);
    }

    /** Asserts the command was accepted and recorded nothing. */
    void thenNothingHappens() {
        assertThat(decide()).as("events decided").isEmpty();
    }

    /** Asserts the command was refused with a rejection of this kind, and returns it for closer looks. */
    <R extends UserRejection> R thenRejected(Class<R> kind) {
        UserRejectedException thrown = catchThrowableOfType(UserRejectedException.class, this::decide);
        if (thrown == null) {
            fail("expected the command to be rejected with %s, but it was accepted", kind.getSimpleName());
        }
        assertThat(thrown.rejection()).as("rejection").isInstanceOf(kind);
        assertThat(thrown).hasMessage(thrown.rejection().message());
        return kind.cast(thrown.rejection());
    }

    private List<UserEvent> decide() {
        if (command == null) {
            throw new IllegalStateException("call when(...) before then...(...)");
        }
        User user = history.isEmpty() ? null : User.fromHistory(history);
        return command.apply(user);
    }
}
