package io.userstream.adapters.grpc;

import static io.userstream.adapters.grpc.Responses.respond;

import io.grpc.stub.StreamObserver;
import io.userstream.application.port.in.ProjectionAdminUseCases;
import io.userstream.application.view.ParkedEvent;
import io.userstream.application.view.ProjectionStatus;
import io.userstream.application.view.ProjectionVerification;
import io.userstream.proto.admin.v1.DifferenceKind;
import io.userstream.proto.admin.v1.FieldDifference;
import io.userstream.proto.admin.v1.UserDifference;
import io.userstream.proto.admin.v1.VerifyProjectionRequest;
import io.userstream.proto.admin.v1.VerifyProjectionResponse;
import io.userstream.proto.admin.v1.ListParkedEventsRequest;
import io.userstream.proto.admin.v1.ListParkedEventsResponse;
import io.userstream.proto.admin.v1.ListProjectionsRequest;
import io.userstream.proto.admin.v1.ListProjectionsResponse;
import io.userstream.proto.admin.v1.Projection;
import io.userstream.proto.admin.v1.ProjectionAdminGrpc;
import io.userstream.proto.admin.v1.ProjectionState;
import io.userstream.proto.admin.v1.RebuildPhase;
import io.userstream.proto.admin.v1.RebuildProgress;
import io.userstream.proto.admin.v1.RebuildProjectionRequest;
import io.userstream.proto.admin.v1.ReplayStreamRequest;
import io.userstream.proto.admin.v1.ReplayStreamResponse;
import io.userstream.proto.admin.v1.RetryParkedEventRequest;
import io.userstream.proto.admin.v1.RetryParkedEventResponse;

import java.util.Optional;

/** {@code userstream.admin.v1.ProjectionAdmin}, for operators. Authorization is {@link AdminAuthorization}'s job. */
public final class ProjectionAdminGrpcService extends ProjectionAdminGrpc.ProjectionAdminImplBase {

    /** Full gRPC name of this service, for {@link AdminAuthorization}. */
    public static final String SERVICE_NAME = ProjectionAdminGrpc.SERVICE_NAME;

    private final ProjectionAdminUseCases admin;

    public ProjectionAdminGrpcService(ProjectionAdminUseCases admin) {
        this.admin = admin;
    }

    @Override
    public void listProjections(ListProjectionsRequest request, StreamObserver<ListProjectionsResponse> response) {
        respond(response, () -> ListProjectionsResponse.newBuilder()
                .addAllProjections(admin.listProjections().stream().map(ProjectionAdminGrpcService::toMessage).toList())
                .build());
    }

    @Override
    public void rebuildProjection(RebuildProjectionRequest request, StreamObserver<Projection> response) {
        respond(response, () -> toMessage(admin.rebuildProjection(request.getName())));
    }

    @Override
    public void replayStream(ReplayStreamRequest request, StreamObserver<ReplayStreamResponse> response) {
        respond(response, () -> ReplayStreamResponse.newBuilder()
                .setEventsReplayed(admin.replayStream(request.getName(), request.getUserId()))
                .build());
    }

    @Override
    public void listParkedEvents(ListParkedEventsRequest request, StreamObserver<ListParkedEventsResponse> response) {
        respond(response, () -> ListParkedEventsResponse.newBuilder()
                .addAllEvents(admin.listParkedEvents(request.getName()).stream()
                        .map(ProjectionAdminGrpcService::toMessage).toList())
                .build());
    }

    @Override
    public void retryParkedEvent(RetryParkedEventRequest request, StreamObserver<RetryParkedEventResponse> response) {
        respond(response, () -> {
            Optional<String> error = admin.retryParkedEvent(request.getName(), request.getPosition());
            return RetryParkedEventResponse.newBuilder().setApplied(error.isEmpty()).setError(error.orElse("")).build();
        });
    }

    @Override
    public void verifyProjection(VerifyProjectionRequest request, StreamObserver<VerifyProjectionResponse> response) {
        respond(response, () -> toMessage(admin.verifyProjection(request.getName(), request.getLimit())));
    }

    private static VerifyProjectionResponse toMessage(ProjectionVerification verification) {
        return VerifyProjectionResponse.newBuilder()
                .setCheckpoint(verification.checkpoint())
                .setUsersChecked(verification.usersChecked())
                .setUsersDiffering(verification.usersDiffering())
                .setUsersSkipped(verification.usersSkipped())
                .addAllDifferences(verification.differences().stream().map(user -> UserDifference.newBuilder()
                        .setUserId(user.userId().toString())
                        .setKind(switch (user.kind()) {
                            case FIELDS_DIFFER -> DifferenceKind.FIELDS_DIFFER;
                            case ROW_MISSING -> DifferenceKind.ROW_MISSING;
                            case ROW_WITHOUT_STREAM -> DifferenceKind.ROW_WITHOUT_STREAM;
                            case HISTORY_UNREADABLE -> DifferenceKind.HISTORY_UNREADABLE;
                            case ERASED_BUT_PRESENT -> DifferenceKind.ERASED_BUT_PRESENT;
                        })
                        .addAllFields(user.fields().stream().map(field -> FieldDifference.newBuilder()
                                .setField(field.field())
                                .setPersonal(field.personal())
                                .setExpected(field.expected())
                                .setActual(field.actual())
                                .build()).toList())
                        .build()).toList())
                .build();
    }

    private static Projection toMessage(ProjectionStatus status) {
        Projection.Builder message = Projection.newBuilder()
                .setName(status.name())
                .setState(switch (status.state()) {
                    case RUNNING -> ProjectionState.RUNNING;
                    case CATCHING_UP -> ProjectionState.CATCHING_UP;
                    case REBUILDING -> ProjectionState.REBUILDING;
                    case STOPPED -> ProjectionState.STOPPED;
                    case FAILED -> ProjectionState.FAILED;
                })
                .setCheckpoint(status.checkpoint())
                .setLagEvents(status.lagEvents())
                .setLagSeconds(status.lagSeconds())
                .setParkedEvents(status.parkedEvents())
                .setHorizonBlockedSeconds(status.horizonBlockedSeconds())
                .setLastError(status.lastError().orElse(""))
                .setUpdatedAt(UserMessages.timestamp(status.updatedAt()))
                .setRebuildRequested(status.rebuildRequested());
        status.rebuild().ifPresent(rebuild -> {
            RebuildProgress.Builder progress = RebuildProgress.newBuilder()
                    .setDone(rebuild.done())
                    .setTotal(rebuild.total())
                    .setEventsPerSecond(rebuild.eventsPerSecond())
                    .setStartedAt(UserMessages.timestamp(rebuild.startedAt()))
                    .setPhase(switch (rebuild.phase()) {
                        case APPLYING_EVENTS -> RebuildPhase.APPLYING_EVENTS;
                        case BUILDING_INDEXES -> RebuildPhase.BUILDING_INDEXES;
                    })
                    .setIndexesBuilt(rebuild.indexesBuilt())
                    .setIndexesToBuild(rebuild.indexesToBuild());
            rebuild.eta().ifPresent(eta -> progress.setEta(com.google.protobuf.Duration.newBuilder()
                    .setSeconds(eta.getSeconds()).setNanos(eta.getNano())));
            message.setRebuild(progress);
        });
        return message.build();
    }

    private static io.userstream.proto.admin.v1.ParkedEvent toMessage(ParkedEvent event) {
        return io.userstream.proto.admin.v1.ParkedEvent.newBuilder()
                .setProjection(event.projection())
                .setPosition(event.position())
                .setEventId(event.eventId().toString())
                .setEventType(event.eventType())
                .setStreamId(event.streamId().toString())
                .setVersion(event.version())
                .setError(event.error())
                .setAttempts(event.attempts())
                .setParkedAt(UserMessages.timestamp(event.parkedAt()))
                .build();
    }
}
