package io.userstream.application.port.out;

import io.userstream.application.view.UserView;
import io.userstream.domain.user.UserId;
import io.userstream.domain.user.UserStatus;

import java.util.Optional;
import java.util.UUID;

/**
 * The query side's copy of every user, kept up to date from the event log by a projection. Reads
 * are cheap and indexed, but the copy follows the log asynchronously: a user may show up here a
 * little after a command has returned, which is why each view carries its version.
 *
 * <p>Only reads: the projection that writes the copy has its own port.
 */
public interface UserReadModel {

    /** The user with this id, deleted ones included (status DELETED). */
    Optional<UserView> findById(UserId id);

    /**
     * The user, not deleted, that holds the address with this uniqueness key ({@code Email.uniquenessKey()}:
     * fully lower-cased). A deleted user keeps its address in the copy, but has given it up, so it is
     * never the answer.
     */
    Optional<UserView> findByEmail(String emailKey);

    /** The user, not deleted, that holds this username; deleted users have given theirs up. */
    Optional<UserView> findByUsername(String username);

    /**
     * One page of users in ascending id order, resuming after the id that ended the previous page
     * (keyset pagination: pages stay stable, with no duplicates and no gaps, while users are added).
     *
     * @param after  the last id of the previous page; empty for the first page
     * @param limit  at most this many users, at least 1
     * @param status only users with this status; empty for every status
     */
    UserPage list(Optional<UUID> after, int limit, Optional<UserStatus> status);
}
