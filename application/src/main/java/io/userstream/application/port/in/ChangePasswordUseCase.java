package io.userstream.application.port.in;

import java.util.Objects;
import java.util.Optional;

import io.userstream.domain.user.User;

import java.util.OptionalLong;

/** Replaces a user's password; only a slow salted hash of it is recorded. */
public interface ChangePasswordUseCase {

    /**
     * @return the user after the command
     * @throws io.userstream.domain.user.UserRejectedException see {@link io.userstream.domain.user.UserRejection}
     */
    User changePassword(ChangePassword command, CommandContext context);

    /**
     * @param expectedVersion when present, the command applies only to the user at exactly this version
     * @param currentPassword when present, the command applies only if it is the user's current password
     *                        (else {@link io.userstream.domain.user.UserRejection.WrongPassword}); the API
     *                        requires it when a user changes its own password
     */
    record ChangePassword(String userId, String newPassword, OptionalLong expectedVersion,
                          Optional<String> currentPassword) {

        public ChangePassword {
            Objects.requireNonNull(currentPassword, "currentPassword");
        }

        /** Without a current password: an administrator's reset. */
        public ChangePassword(String userId, String newPassword, OptionalLong expectedVersion) {
            this(userId, newPassword, expectedVersion, Optional.empty());
        }

        @Override
        public String toString() {
            return "ChangePassword[userId=" + userId + ", newPassword=redacted, expectedVersion=" + expectedVersion
                    + ", currentPassword=" + (currentPassword.isPresent() ? "redacted" : "none") + "]";
        }
    }
}
