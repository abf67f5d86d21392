package io.userstream.application.view;

import io.userstream.domain.user.User;
import io.userstream.domain.user.UserId;
import io.userstream.domain.user.UserStatus;

import java.time.Instant;
import java.util.Objects;

/**
 * A user as queries show it: what the read model holds, or what a fold of the history gives for a
 * past point. Unlike {@link User} it carries no password hash, so nothing that shows a user can
 * leak one, and it needs no history to exist.
 *
 * <p>Values are taken as stored rather than re-validated: a row that once passed the domain's rules
 * must stay readable even if a rule later tightens.
 *
 * @param id        the user's id, also its stream's id
 * @param email     the normalised address (domain lower-cased, local part as given)
 * @param firstName empty when not given
 * @param lastName  empty when not given
 * @param avatarUrl empty when not given
 * @param updatedAt when the latest event folded into this view occurred
 * @param deletedAt when the user was deleted, or null if it is not
 * @param version   the number of the user's events this view reflects; a reader compares it with
 *                  the version a command returned to know whether it sees its own write
 */
public record UserView(UserId id, String email, String username, String firstName, String lastName,
                       String avatarUrl, UserStatus status, Instant createdAt, Instant updatedAt,
                       Instant deletedAt, long version) {

    public UserView {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(email, "email");
        Objects.requireNonNull(username, "username");
        Objects.requireNonNull(firstName, "firstName");
        Objects.requireNonNull(lastName, "lastName");
        Objects.requireNonNull(avatarUrl, "avatarUrl");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(updatedAt, "updatedAt");
    }

    /** The view of an aggregate state, e.g. one folded from a prefix of the history. */
    public static UserView of(User user) {
        return new UserView(user.id(), user.email().value(), user.username().value(),
                user.profile().firstName(), user.profile().lastName(), user.profile().avatarUrl(),
                user.status(), user.createdAt(), user.updatedAt(), user.deletedAt(), user.version());
    }
}
