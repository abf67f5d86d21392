package io.userstream.application.port.in;

import io.userstream.application.view.UserView;

/**
 * Finds who holds a username now, e.g. to resolve a mention. Deleted users have given theirs up.
 * Answered from the read model, so a change made a moment ago may not show yet.
 */
public interface FindUserByUsernameQuery {

    /**
     * @param username the username as the caller sent it (upper case is refused, not folded)
     * @throws io.userstream.domain.user.UserRejectedException {@code InvalidInput} on {@code username};
     *         {@code NoUserWithUsername}
     */
    UserView findUserByUsername(String username);
}
