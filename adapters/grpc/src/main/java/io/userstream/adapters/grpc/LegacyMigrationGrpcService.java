package io.userstream.adapters.grpc;

import static io.userstream.adapters.grpc.Responses.respond;

import io.grpc.stub.StreamObserver;
import io.userstream.application.port.in.ImportLegacyUserUseCase;
import io.userstream.application.port.in.ImportLegacyUserUseCase.ImportResult;
import io.userstream.domain.user.UserStatus;
import io.userstream.proto.admin.v1.ImportLegacyUserRequest;
import io.userstream.proto.admin.v1.ImportLegacyUserResponse;
import io.userstream.proto.admin.v1.ImportOutcome;
import io.userstream.proto.admin.v1.LegacyMigrationGrpc;

/**
 * {@code userstream.admin.v1.LegacyMigration}: the server side of {@code userstream migrate}. Authorization is the
 * job of the interceptors (users:admin, or the admin token).
 */
public final class LegacyMigrationGrpcService extends LegacyMigrationGrpc.LegacyMigrationImplBase {

    /** Full gRPC name of this service, for {@link AdminAuthorization}. */
    public static final String SERVICE_NAME = LegacyMigrationGrpc.SERVICE_NAME;

    private final ImportLegacyUserUseCase imports;

    public LegacyMigrationGrpcService(ImportLegacyUserUseCase imports) {
        this.imports = imports;
    }

    @Override
    public void importLegacyUser(ImportLegacyUserRequest request, StreamObserver<ImportLegacyUserResponse> response) {
        respond(response, () -> {
            ImportResult result = imports.importLegacyUser(new ImportLegacyUserUseCase.LegacyUserRow(
                    request.getSource(), request.getLegacyId(), request.getEmail(), request.getUsername(),
                    request.getPasswordHash(), request.getFirstName(), request.getLastName(), request.getAvatarUrl(),
                    status(request), request.hasCreatedAt()
                            ? UserMessages.instant(request.getCreatedAt(), "created_at") : null),
                    CallMetadata.current());
            return ImportLegacyUserResponse.newBuilder()
                    .setOutcome(switch (result.outcome()) {
                        case CREATED -> ImportOutcome.CREATED;
                        case UPDATED -> ImportOutcome.UPDATED;
                        case UNCHANGED -> ImportOutcome.UNCHANGED;
                    })
                    .setUser(UserMessages.toMessage(result.user()))
                    .setEventsAppended(result.eventsAppended())
                    .setPasswordVerifiable(result.passwordVerifiable())
                    .build();
        });
    }

    /** Null (refused by the use case, naming the field) for an unspecified or unknown status. */
    private static UserStatus status(ImportLegacyUserRequest request) {
        return switch (request.getStatus()) {
            case LEGACY_ACTIVE -> UserStatus.ACTIVE;
            case LEGACY_INACTIVE -> UserStatus.INACTIVE;
            case LEGACY_DELETED -> UserStatus.DELETED;
            case LEGACY_USER_STATUS_UNSPECIFIED, UNRECOGNIZED -> null;
        };
    }
}
