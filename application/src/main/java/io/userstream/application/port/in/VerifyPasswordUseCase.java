package io.userstream.application.port.in;

import io.userstream.domain.user.UserId;
import io.userstream.domain.user.UserStatus;

import java.util.Objects;
import java.util.Optional;

/**
 * Checks a user's password, for a login service: the service stores the hashes, so it is the one that can
 * check them.
 *
 * <p>What a caller can learn is only "valid" or "not valid": an unknown user, a deleted one and a wrong
 * password give the same answer after the same work (one Argon2id comparison each), and failed attempts
 * are limited per account and per caller ({@link TooManyAttemptsException}). Every attempt is audited,
 * never with the password.
 */
public interface VerifyPasswordUseCase {

    /**
     * @throws TooManyAttemptsException if the account or the caller has failed too often recently
     * @throws io.userstream.application.port.out.PasswordHashingSaturatedException if no hashing capacity is
     *                                                                             free now
     * @throws io.userstream.domain.user.UserRejectedException ({@code InvalidInput}) if the login or the
     *                                                           password is empty or absurdly long
     */
    Verification verifyPassword(VerifyPassword command, CommandContext context);

    /**
     * @param login    a username or an e-mail address (containing {@code @})
     * @param password the password to check
     */
    record VerifyPassword(String login, String password) {
        public VerifyPassword {
            Objects.requireNonNull(login, "login");
            Objects.requireNonNull(password, "password");
        }

        @Override
        public String toString() {
            return "VerifyPassword[login=" + login + ", password=redacted]";
        }
    }

    /**
     * The answer.
     *
     * @param valid  whether the login names a user that is not deleted and the password is theirs
     * @param userId the user, when valid
     * @param status the user's status, when valid (a login service decides whether INACTIVE may log in)
     */
    record Verification(boolean valid, Optional<UserId> userId, Optional<UserStatus> status) {

        /** "Not valid", with nothing else said. */
        public static final Verification INVALID = new Verification(false, Optional.empty(), Optional.empty());

        public Verification {
            Objects.requireNonNull(userId, "userId");
            Objects.requireNonNull(status, "status");
        }
    }
}
