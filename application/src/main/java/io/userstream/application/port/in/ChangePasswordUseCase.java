package io.userstream.application.port.in;

import io.userstream.domain.user.User;

import java.util.OptionalLong;

/** Replaces a user's password; only a slow salted hash of it is recorded. */
public interface ChangePasswordUseCase {

    /**
     * @return the user after the command
     * @throws io.userstream.domain.user.UserRejectedException see {@link io.userstream.domain.user.UserRejection}
     */
    User changePassword(ChangePassword command, CommandContext context);

    /** @param expectedVersion when present, the command applies only to the user at exactly this version */
    record ChangePassword(String userId, String newPassword, OptionalLong expectedVersion) {
        @Override
        public String toString() {
            return "ChangePassword[userId=" + userId + ", newPassword=redacted, expectedVersion=" + expectedVersion + "]";
        }
    }
}
