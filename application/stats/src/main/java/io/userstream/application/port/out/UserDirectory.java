package io.userstream.application.port.out;

import io.userstream.domain.stats.UserActivity;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * user-service as user-stats-service asks it: which users exist and what happened to each. It is the
 * authority stats fall back on when events were lost, so every call is remote and may be unavailable.
 */
public interface UserDirectory {

    /**
     * Every event of the user, oldest first (CREATED at version 1, then consecutive versions).
     *
     * @return empty if user-service does not know the user (a present list is never empty)
     * @throws UserDirectoryUnavailableException if user-service could not answer in time
     */
    Optional<List<UserActivity>> history(UUID userId);

    /**
     * One page of the ids of every user, deleted ones included, in a stable order.
     *
     * @param pageToken "" for the first page, else the {@link DirectoryPage#nextPageToken()} of the previous one
     * @param pageSize  at most this many ids
     * @throws UserDirectoryUnavailableException if user-service could not answer in time
     */
    DirectoryPage listUserIds(String pageToken, int pageSize);

    /**
     * @param userIds       the ids on this page
     * @param nextPageToken where the next page starts; "" if this is the last page
     */
    record DirectoryPage(List<UUID> userIds, String nextPageToken) {
        public DirectoryPage {
            userIds = List.copyOf(userIds);
            Objects.requireNonNull(nextPageToken, "nextPageToken");
        }
    }
}
