package io.userstream.application.port.in;

import io.userstream.domain.user.User;

import java.util.OptionalLong;

/**
 * Replaces a user's e-mail address; the new one must not belong to another user.
 * Changing to the current address is accepted and records nothing.
 */
public interface ChangeEmailUseCase {

    /**
     * @return the user after the command
     * @throws io.userstream.domain.user.UserRejectedException see {@link io.userstream.domain.user.UserRejection}
     */
    User changeEmail(ChangeEmail command, CommandContext context);

    /** @param expectedVersion when present, the command applies only to the user at exactly this version */
    record ChangeEmail(String userId, String newEmail, OptionalLong expectedVersion) {
    }
}
