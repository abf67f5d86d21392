package io.userstream.application.port.in;

import io.userstream.domain.user.User;

/** Reads one user by id. */
public interface GetUserQuery {

    /**
     * @throws io.userstream.domain.user.UserRejectedException with {@code InvalidInput} for a malformed
     *         id or {@code UserNotFound}; a deleted user is returned, with status DELETED
     */
    User getUser(String userId);
}
