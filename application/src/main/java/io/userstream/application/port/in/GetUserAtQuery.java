package io.userstream.application.port.in;

import io.userstream.application.view.UserView;

import java.time.Instant;

/**
 * Time travel: a user as it was at a past point, folded from its history in the event log. Answers
 * questions such as "which e-mail address did this user have when the invoice was sent?".
 */
public interface GetUserAtQuery {

    /**
     * The user after every event that occurred at or before {@code asOf}: the longest start of the
     * history whose events all occurred by then.
     *
     * @throws io.userstream.domain.user.UserRejectedException {@code InvalidInput} on {@code user_id};
     *         {@code UserNotFound} also when the user did not exist yet at {@code asOf}
     */
    UserView getUserAsOf(String userId, Instant asOf);

    /**
     * The user after exactly {@code version} events.
     *
     * @throws io.userstream.domain.user.UserRejectedException {@code InvalidInput} on {@code user_id} or
     *         {@code version} (below 1); {@code UserNotFound}; {@code VersionNotFound} beyond the latest version
     */
    UserView getUserAtVersion(String userId, long version);
}
