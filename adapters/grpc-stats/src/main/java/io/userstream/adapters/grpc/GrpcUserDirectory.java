package io.userstream.adapters.grpc;

import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.userstream.application.port.out.UserDirectory;
import io.userstream.application.port.out.UserDirectoryUnavailableException;
import io.userstream.domain.stats.ActivityType;
import io.userstream.domain.stats.UserActivity;
import io.userstream.proto.user.v1.GetUserHistoryRequest;
import io.userstream.proto.user.v1.ListUsersRequest;
import io.userstream.proto.user.v1.ListUsersResponse;
import io.userstream.proto.user.v1.User;
import io.userstream.proto.user.v1.UserEventRecord;
import io.userstream.proto.user.v1.UserServiceGrpc;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * user-stats' view of user-service, over gRPC: whether a user exists and what happened to it (its
 * audit trail, read from user-service's event store, so a user whose events never reached the bus
 * is still found), and the list of all users for the reconciliation sweep.
 *
 * <p>Every call has a deadline; user-service being down, slow or failing is reported as
 * {@link UserDirectoryUnavailableException}, never as "no such user".
 */
public final class GrpcUserDirectory implements UserDirectory {

    private final UserServiceGrpc.UserServiceBlockingStub users;
    private final Duration deadline;

    /**
     * @param channel  a channel to user-service (grpc-java; Helidon's client drops status descriptions)
     * @param deadline per call, e.g. 2 s
     */
    public GrpcUserDirectory(Channel channel, Duration deadline) {
        this.users = UserServiceGrpc.newBlockingStub(channel);
        this.deadline = deadline;
    }

    @Override
    public Optional<List<UserActivity>> history(UUID userId) {
        List<UserEventRecord> records;
        try {
            // Types and times are all stats needs: without_data keeps the user's personal data at user-service.
            records = stub().getUserHistory(GetUserHistoryRequest.newBuilder().setUserId(userId.toString())
                    .setWithoutData(true).build()).getEventsList();
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
                return Optional.empty();
            }
            throw unavailable("history of user " + userId, e);
        }
        List<UserActivity> history = new ArrayList<>();
        for (UserEventRecord record : records) {
            history.add(new UserActivity(UUID.fromString(record.getEventId()), userId, record.getVersion(),
                    Instant.ofEpochSecond(record.getOccurredAt().getSeconds(), record.getOccurredAt().getNanos()),
                    activityType(record.getEventType())));
        }
        return Optional.of(history);
    }

    @Override
    public DirectoryPage listUserIds(String pageToken, int pageSize) {
        try {
            ListUsersResponse page = stub().listUsers(ListUsersRequest.newBuilder()
                    .setPageToken(pageToken).setPageSize(pageSize).build());
            return new DirectoryPage(page.getUsersList().stream().map(User::getId).map(UUID::fromString).toList(),
                    page.getNextPageToken());
        } catch (StatusRuntimeException e) {
            throw unavailable("the list of users", e);
        }
    }

    private UserServiceGrpc.UserServiceBlockingStub stub() {
        return users.withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Audit-trail event types (domain event names) to what stats counts. */
    private static ActivityType activityType(String eventType) {
        return switch (eventType) {
            case "UserCreated" -> ActivityType.CREATED;
            case "EmailChanged" -> ActivityType.EMAIL_CHANGED;
            case "PasswordChanged" -> ActivityType.PASSWORD_CHANGED;
            case "ProfileUpdated" -> ActivityType.PROFILE_UPDATED;
            case "UserActivated" -> ActivityType.ACTIVATED;
            case "UserDeactivated" -> ActivityType.DEACTIVATED;
            case "UserDeleted" -> ActivityType.DELETED;
            case "UserErased" -> ActivityType.ERASED;
            default -> throw new UserDirectoryUnavailableException("user-service reported an unknown event type "
                    + eventType + "; is user-stats-service older than user-service?", null);
        };
    }

    private static UserDirectoryUnavailableException unavailable(String what, StatusRuntimeException e) {
        return new UserDirectoryUnavailableException("user-service could not give " + what + ": "
                + e.getStatus().getCode() + " " + e.getStatus().getDescription(), e);
    }
}
