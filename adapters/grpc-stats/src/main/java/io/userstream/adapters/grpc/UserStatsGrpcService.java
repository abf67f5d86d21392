package io.userstream.adapters.grpc;

import io.grpc.stub.StreamObserver;
import io.userstream.application.port.in.GetUserStatsQuery;
import io.userstream.domain.stats.UserStats;
import io.userstream.proto.userstats.v1.GetUserStatsRequest;
import io.userstream.proto.userstats.v1.StatsStatus;
import io.userstream.proto.userstats.v1.UserStatsServiceGrpc;

import static io.userstream.adapters.grpc.StatsGrpcErrors.respond;

/** {@code userstream.userstats.v1.UserStatsService}: stats of one user, repaired on read if missing. */
public final class UserStatsGrpcService extends UserStatsServiceGrpc.UserStatsServiceImplBase {

    private final GetUserStatsQuery getUserStats;

    public UserStatsGrpcService(GetUserStatsQuery getUserStats) {
        this.getUserStats = getUserStats;
    }

    @Override
    public void getUserStats(GetUserStatsRequest request,
                             StreamObserver<io.userstream.proto.userstats.v1.UserStats> response) {
        respond(response, () -> toMessage(getUserStats.getUserStats(request.getUserId())));
    }

    static io.userstream.proto.userstats.v1.UserStats toMessage(UserStats stats) {
        io.userstream.proto.userstats.v1.UserStats.Builder message = io.userstream.proto.userstats.v1.UserStats.newBuilder()
                .setUserId(stats.userId().toString())
                .setStatus(switch (stats.status()) {
                    case ACTIVE -> StatsStatus.ACTIVE;
                    case INACTIVE -> StatsStatus.INACTIVE;
                    case DELETED -> StatsStatus.DELETED;
                })
                .setMemberSince(StatsGrpcErrors.timestamp(stats.memberSince()))
                .setProfileUpdates(stats.profileUpdates())
                .setEmailChanges(stats.emailChanges())
                .setPasswordChanges(stats.passwordChanges())
                .setLastActivityAt(StatsGrpcErrors.timestamp(stats.lastActivityAt()))
                .setLastEventVersion(stats.lastEventVersion())
                .setCreatedAt(StatsGrpcErrors.timestamp(stats.createdAt()))
                .setUpdatedAt(StatsGrpcErrors.timestamp(stats.updatedAt()));
        if (stats.repairedAt() != null) {
            message.setRepairedAt(StatsGrpcErrors.timestamp(stats.repairedAt()));
        }
        return message.build();
    }
}
