package io.userstream.application.port.in;

import io.userstream.domain.stats.UserStats;

/**
 * Reads one user's stats, repairing them on the way when they are missing: a user whose creation event
 * was lost (or not consumed yet) still gets stats, built from its history at user-service, instead of
 * being reported unknown for ever.
 */
public interface GetUserStatsQuery {

    /**
     * @param userId the id as the caller sent it
     * @return the stored stats; if there were none, the ones just built from the user's history
     * @throws io.userstream.domain.stats.InvalidRequestException naming {@code user_id} if it is not a user id
     * @throws NotFoundException if user-service does not know the user either
     * @throws io.userstream.application.port.out.UserDirectoryUnavailableException if the stats were
     *         missing and user-service could not be asked in time; retry
     */
    UserStats getUserStats(String userId);
}
