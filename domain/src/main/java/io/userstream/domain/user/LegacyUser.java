package io.userstream.domain.user;

import java.time.Instant;
import java.util.Objects;

/**
 * A user as a legacy CRUD system holds it (one row of its {@code users} table): not a command but the
 * state the event store must reach. {@link User#importLegacy} and {@link User#reconcile} turn it into the
 * events that make a stream describe exactly this user.
 *
 * @param id           the user's id in the event store (derived from the legacy id, so stable across runs)
 * @param email        the legacy e-mail address
 * @param username     the legacy username; it cannot change once imported
 * @param passwordHash the legacy hash, carried over as it is (bcrypt, Argon2, …)
 * @param profile      the legacy profile
 * @param status       the legacy status
 * @param createdAt    when the legacy system registered the user; null if it does not say
 */
public record LegacyUser(UserId id, Email email, Username username, PasswordHash passwordHash, Profile profile,
                         UserStatus status, Instant createdAt) {

    public LegacyUser {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(email, "email");
        Objects.requireNonNull(username, "username");
        Objects.requireNonNull(passwordHash, "passwordHash");
        Objects.requireNonNull(profile, "profile");
        Objects.requireNonNull(status, "status");
    }
}
