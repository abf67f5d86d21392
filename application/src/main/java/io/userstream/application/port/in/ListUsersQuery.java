package io.userstream.application.port.in;

import io.userstream.application.view.UserView;
import io.userstream.domain.user.UserStatus;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Walks through all users, or those with one status, page by page in id order (ids are time-ordered,
 * so roughly creation order). Each page resumes after the last id of the previous one, so walking
 * the whole list never repeats or skips a user, even while users are being added.
 */
public interface ListUsersQuery {

    /**
     * @throws io.userstream.domain.user.UserRejectedException {@code InvalidInput} on {@code page_size}
     *         or {@code page_token}
     */
    Page listUsers(ListUsers request);

    /**
     * @param pageSize  1 to 1000 users; 0 means the default, 100
     * @param pageToken the {@link Page#nextPageToken()} of the previous page, as given; null or empty for the first
     * @param status    only users with this status; empty for every status
     */
    record ListUsers(int pageSize, String pageToken, Optional<UserStatus> status) {
        public ListUsers {
            Objects.requireNonNull(status, "status");
        }
    }

    /**
     * @param users         in ascending id order
     * @param nextPageToken an opaque token that asks for the page after this one; empty on the last page
     */
    record Page(List<UserView> users, Optional<String> nextPageToken) {
        public Page {
            users = List.copyOf(users);
            Objects.requireNonNull(nextPageToken, "nextPageToken");
        }
    }
}
