package io.userstream.application.port.in;

import io.userstream.application.view.UserView;

import java.time.Instant;
import java.util.OptionalLong;

/**
 * Reads one user by id from the read model. The read model follows the event log asynchronously,
 * so a caller that has just written passes the version its command returned and is answered only
 * once the read model shows that write (read-your-writes), never with older data.
 */
public interface GetUserQuery {

    /**
     * @param userId     the id as the caller sent it
     * @param minVersion when present, the answer is the user at this version or a later one; until the
     *                   read model gets there the call waits, at most until {@code deadline}
     * @param deadline   when to stop waiting for {@code minVersion}; ignored without it
     * @return the user, a deleted one included (status DELETED)
     * @throws io.userstream.domain.user.UserRejectedException {@code InvalidInput} on {@code user_id} or
     *         {@code min_version}; {@code UserNotFound}; {@code VersionNotFound} if the user's history
     *         has not reached {@code minVersion}; {@code ReadModelBehind} if the deadline passed first
     */
    UserView getUser(String userId, OptionalLong minVersion, Instant deadline);
}
