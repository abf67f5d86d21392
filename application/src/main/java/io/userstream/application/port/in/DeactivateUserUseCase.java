package io.userstream.application.port.in;

import io.userstream.domain.user.User;

/** Deactivates a user; deactivating an inactive user is accepted and records nothing. */
public interface DeactivateUserUseCase {

    /**
     * @return the user after the command
     * @throws io.userstream.domain.user.UserRejectedException see {@link io.userstream.domain.user.UserRejection}
     */
    User deactivateUser(UserCommand command, CommandContext context);
}
