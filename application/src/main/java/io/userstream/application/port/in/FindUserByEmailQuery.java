package io.userstream.application.port.in;

import io.userstream.application.view.UserView;

/**
 * Finds who holds an e-mail address now, e.g. to look up an account from a support request.
 * Addresses are compared ignoring case entirely, as uniqueness is; deleted users have given theirs up.
 * Answered from the read model, so a change made a moment ago may not show yet.
 */
public interface FindUserByEmailQuery {

    /**
     * @param email the address as the caller sent it
     * @throws io.userstream.domain.user.UserRejectedException {@code InvalidInput} on {@code email};
     *         {@code NoUserWithEmail}
     */
    UserView findUserByEmail(String email);
}
