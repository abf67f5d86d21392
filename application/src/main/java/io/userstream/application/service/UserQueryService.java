package io.userstream.application.service;

import io.userstream.application.port.in.GetUserQuery;
import io.userstream.application.port.out.UserEventStore;
import io.userstream.domain.user.User;

/**
 * Answers user queries from the event store itself: always current, one indexed read per call.
 * (The read model built by projections takes over in a later step.)
 */
public final class UserQueryService implements GetUserQuery {

    private final UserEventStore eventStore;

    public UserQueryService(UserEventStore eventStore) {
        this.eventStore = eventStore;
    }

    @Override
    public User getUser(String userId) {
        return UserCommandService.load(eventStore, UserCommandService.parseId(userId));
    }
}
