package io.userstream.application.port.in;

import io.userstream.domain.user.User;

/** Soft-deletes a user and frees its e-mail address and username for others. Deleting a deleted user is rejected. */
public interface DeleteUserUseCase {

    /**
     * @return the user after the command
     * @throws io.userstream.domain.user.UserRejectedException see {@link io.userstream.domain.user.UserRejection}
     */
    User deleteUser(UserCommand command, CommandContext context);
}
