package io.userstream.application.port.in;

import io.userstream.application.view.AuditEntry;

import java.util.List;

/**
 * The audit trail of one user: every event, oldest first, with who caused it and as part of which
 * request. Read from the event log, so it is complete even when the read model lags.
 */
public interface GetUserHistoryQuery {

    /**
     * @param userId the id as the caller sent it
     * @return at least one entry (the user's creation)
     * @throws io.userstream.domain.user.UserRejectedException {@code InvalidInput} on {@code user_id};
     *         {@code UserNotFound}
     */
    List<AuditEntry> getUserHistory(String userId);
}
