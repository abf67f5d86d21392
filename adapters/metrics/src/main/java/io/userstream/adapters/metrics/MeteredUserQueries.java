package io.userstream.adapters.metrics;

import io.helidon.metrics.api.MeterRegistry;
import io.helidon.metrics.api.Tag;
import io.helidon.metrics.api.Timer;
import io.userstream.application.port.in.FindUserByEmailQuery;
import io.userstream.application.port.in.FindUserByUsernameQuery;
import io.userstream.application.port.in.GetUserAtQuery;
import io.userstream.application.port.in.GetUserHistoryQuery;
import io.userstream.application.port.in.GetUserQuery;
import io.userstream.application.port.in.ListUsersQuery;
import io.userstream.application.view.AuditEntry;
import io.userstream.application.view.UserView;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.OptionalLong;
import java.util.function.Supplier;

/**
 * Times every user query: {@code query_seconds{query="GetUser|GetUserByEmail|…"}}, whatever the outcome.
 * GetUser with {@code min_version} includes the time spent waiting for the read model.
 */
public final class MeteredUserQueries implements GetUserQuery, FindUserByEmailQuery, FindUserByUsernameQuery,
        ListUsersQuery, GetUserHistoryQuery, GetUserAtQuery {

    private final GetUserQuery getUserQuery;
    private final FindUserByEmailQuery byEmailQuery;
    private final FindUserByUsernameQuery byUsernameQuery;
    private final ListUsersQuery listQuery;
    private final GetUserHistoryQuery historyQuery;
    private final GetUserAtQuery atQuery;
    private final Timer getUser;
    private final Timer byEmail;
    private final Timer byUsername;
    private final Timer list;
    private final Timer history;
    private final Timer at;

    /** @param queries the service implementing every query port (the application's UserQueryService) */
    public <Q extends GetUserQuery & FindUserByEmailQuery & FindUserByUsernameQuery & ListUsersQuery
            & GetUserHistoryQuery & GetUserAtQuery> MeteredUserQueries(Q queries, MeterRegistry registry) {
        this.getUserQuery = queries;
        this.byEmailQuery = queries;
        this.byUsernameQuery = queries;
        this.listQuery = queries;
        this.historyQuery = queries;
        this.atQuery = queries;
        this.getUser = timer(registry, "GetUser");
        this.byEmail = timer(registry, "GetUserByEmail");
        this.byUsername = timer(registry, "GetUserByUsername");
        this.list = timer(registry, "ListUsers");
        this.history = timer(registry, "GetUserHistory");
        this.at = timer(registry, "GetUserAt");
    }

    @Override
    public UserView getUser(String userId, OptionalLong minVersion, Instant deadline) {
        return timed(getUser, () -> getUserQuery.getUser(userId, minVersion, deadline));
    }

    @Override
    public UserView findUserByEmail(String email) {
        return timed(byEmail, () -> byEmailQuery.findUserByEmail(email));
    }

    @Override
    public UserView findUserByUsername(String username) {
        return timed(byUsername, () -> byUsernameQuery.findUserByUsername(username));
    }

    @Override
    public Page listUsers(ListUsers request) {
        return timed(list, () -> listQuery.listUsers(request));
    }

    @Override
    public List<AuditEntry> getUserHistory(String userId) {
        return timed(history, () -> historyQuery.getUserHistory(userId));
    }

    @Override
    public UserView getUserAsOf(String userId, Instant asOf) {
        return timed(at, () -> atQuery.getUserAsOf(userId, asOf));
    }

    @Override
    public UserView getUserAtVersion(String userId, long version) {
        return timed(at, () -> atQuery.getUserAtVersion(userId, version));
    }

    private static Timer timer(MeterRegistry registry, String query) {
        return registry.getOrCreate(Timer.builder("query")
                .baseUnit("seconds")
                .description("Latency of user queries, by query")
                .tags(List.of(Tag.create("query", query))));
    }

    private static <T> T timed(Timer timer, Supplier<T> query) {
        long start = System.nanoTime();
        try {
            return query.get();
        } finally {
            timer.record(Duration.ofNanos(System.nanoTime() - start));
        }
    }
}
