package io.userstream.application.port.in;

import io.userstream.domain.user.User;

/** Activates a user; activating an active user is accepted and records nothing. */
public interface ActivateUserUseCase {

    /**
     * @return the user after the command
     * @throws io.userstream.domain.user.UserRejectedException see {@link io.userstream.domain.user.UserRejection}
     */
    User activateUser(UserCommand command, CommandContext context);
}
