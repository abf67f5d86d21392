package io.userstream.application.port.in;

import io.userstream.domain.user.User;

/**
 * Erases a user's personal data (GDPR right to erasure) by crypto-shredding: a {@code UserErased} event and
 * the deletion of the user's data key, in one statement. The history stays, its personal fields unreadable
 * for good; the user leaves the read model, its e-mail address and username are released, and consumers are
 * told ({@code user.erased}). Allowed whatever the user's status; erasing again changes nothing.
 */
public interface EraseUserUseCase {

    /**
     * @return the user after the erasure: only its id and version are meant to be shown (its personal data is
     *         gone from storage; what this object still holds in memory must not be returned to anyone)
     * @throws io.userstream.domain.user.UserRejectedException see {@link io.userstream.domain.user.UserRejection}
     */
    User eraseUser(UserCommand command, CommandContext context);
}
