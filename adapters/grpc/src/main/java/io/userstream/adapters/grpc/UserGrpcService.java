package io.userstream.adapters.grpc;

import static io.userstream.adapters.grpc.Responses.respond;

import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.stub.StreamObserver;
import io.userstream.adapters.grpc.auth.Authentication;
import io.userstream.application.port.in.ActivateUserUseCase;
import io.userstream.application.port.in.ChangeEmailUseCase;
import io.userstream.application.port.in.ChangePasswordUseCase;
import io.userstream.application.port.in.CreateUserUseCase;
import io.userstream.application.port.in.DeactivateUserUseCase;
import io.userstream.application.port.in.DeleteUserUseCase;
import io.userstream.application.port.in.EraseUserUseCase;
import io.userstream.application.port.in.FindUserByEmailQuery;
import io.userstream.application.port.in.FindUserByUsernameQuery;
import io.userstream.application.port.in.GetUserAtQuery;
import io.userstream.application.port.in.GetUserHistoryQuery;
import io.userstream.application.port.in.GetUserQuery;
import io.userstream.application.port.in.ListUsersQuery;
import io.userstream.application.port.in.UpdateProfileUseCase;
import io.userstream.application.port.in.UserCommand;
import io.userstream.application.port.in.VerifyPasswordUseCase;
import io.userstream.application.view.UserView;
import io.userstream.domain.user.FieldViolations;
import io.userstream.domain.user.UserId;
import io.userstream.proto.user.v1.ActivateUserRequest;
import io.userstream.proto.user.v1.ChangeEmailRequest;
import io.userstream.proto.user.v1.ChangePasswordRequest;
import io.userstream.proto.user.v1.CreateUserRequest;
import io.userstream.proto.user.v1.DeactivateUserRequest;
import io.userstream.proto.user.v1.DeleteUserRequest;
import io.userstream.proto.user.v1.EraseUserRequest;
import io.userstream.proto.user.v1.EraseUserResponse;
import io.userstream.proto.user.v1.GetUserAtRequest;
import io.userstream.proto.user.v1.GetUserByEmailRequest;
import io.userstream.proto.user.v1.GetUserByUsernameRequest;
import io.userstream.proto.user.v1.GetUserHistoryRequest;
import io.userstream.proto.user.v1.GetUserHistoryResponse;
import io.userstream.proto.user.v1.GetUserRequest;
import io.userstream.proto.user.v1.ListUsersRequest;
import io.userstream.proto.user.v1.ListUsersResponse;
import io.userstream.proto.user.v1.UpdateProfileRequest;
import io.userstream.proto.user.v1.User;
import io.userstream.proto.user.v1.UserEventRecord;
import io.userstream.proto.user.v1.UserServiceGrpc;
import io.userstream.proto.user.v1.VerifyPasswordRequest;
import io.userstream.proto.user.v1.VerifyPasswordResponse;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;

/** {@code userstream.user.v1.UserService}: translates requests to use cases and their answers to messages. */
public final class UserGrpcService extends UserServiceGrpc.UserServiceImplBase {

    /** The longest GetUser waits for {@code min_version}, whatever the caller's deadline. */
    private static final Duration MAX_WAIT = Duration.ofSeconds(30);

    /** How long GetUser waits for {@code min_version} when the caller set no deadline (the API promises 5 s). */
    static final Duration DEFAULT_WAIT = Duration.ofSeconds(5);

    /** The use cases this service exposes. */
    public record UseCases(CreateUserUseCase create, ChangeEmailUseCase changeEmail,
                           ChangePasswordUseCase changePassword, UpdateProfileUseCase updateProfile,
                           ActivateUserUseCase activate, DeactivateUserUseCase deactivate,
                           DeleteUserUseCase delete, GetUserQuery getUser,
                           FindUserByEmailQuery findUserByEmail, FindUserByUsernameQuery findUserByUsername,
                           ListUsersQuery listUsers, GetUserHistoryQuery getUserHistory,
                           GetUserAtQuery getUserAt, VerifyPasswordUseCase verifyPassword,
                           EraseUserUseCase erase) {
    }

    private final UseCases useCases;

    public UserGrpcService(UseCases useCases) {
        this.useCases = useCases;
    }

    // ---- credentials ----

    @Override
    public void verifyPassword(VerifyPasswordRequest request, StreamObserver<VerifyPasswordResponse> response) {
        respond(response, () -> {
            VerifyPasswordUseCase.Verification verification = useCases.verifyPassword().verifyPassword(
                    new VerifyPasswordUseCase.VerifyPassword(request.getLogin(), request.getPassword()),
                    CallMetadata.current());
            VerifyPasswordResponse.Builder answer = VerifyPasswordResponse.newBuilder().setValid(verification.valid());
            verification.userId().ifPresent(id -> answer.setUserId(id.toString()));
            verification.status().ifPresent(status -> answer.setStatus(UserMessages.toMessage(status)));
            return answer.build();
        });
    }

    // ---- commands ----

    @Override
    public void eraseUser(EraseUserRequest request, StreamObserver<EraseUserResponse> response) {
        respond(response, () -> {
            // Only the id and version: the personal data the aggregate still holds in memory is not answered.
            io.userstream.domain.user.User erased = useCases.erase().eraseUser(new UserCommand(request.getUserId(),
                    optional(request.hasExpectedVersion(), request.getExpectedVersion())), CallMetadata.current());
            return EraseUserResponse.newBuilder().setUserId(erased.id().toString()).setVersion(erased.version()).build();
        });
    }

    @Override
    public void createUser(CreateUserRequest request, StreamObserver<User> response) {
        respond(response, () -> UserMessages.toMessage(useCases.create().createUser(new CreateUserUseCase.CreateUser(
                request.getEmail(), request.getUsername(), request.getPassword(), request.getFirstName(),
                request.getLastName(), request.getAvatarUrl()), CallMetadata.current())));
    }

    @Override
    public void changeEmail(ChangeEmailRequest request, StreamObserver<User> response) {
        respond(response, () -> UserMessages.toMessage(useCases.changeEmail().changeEmail(new ChangeEmailUseCase.ChangeEmail(
                request.getUserId(), request.getNewEmail(),
                optional(request.hasExpectedVersion(), request.getExpectedVersion())), CallMetadata.current())));
    }

    @Override
    public void changePassword(ChangePasswordRequest request, StreamObserver<User> response) {
        respond(response, () -> {
            // A user changing its own password proves it knows the current one, so that a stolen token alone
            // cannot take the account over; an administrator's reset needs none. Off without authentication.
            boolean required = Authentication.current().map(caller -> !caller.isAdmin()).orElse(false);
            if (required && !request.hasCurrentPassword()) {
                FieldViolations violations = new FieldViolations();
                violations.add("current_password", "is required to change one's own password");
                violations.throwIfAny();
            }
            return UserMessages.toMessage(useCases.changePassword().changePassword(
                    new ChangePasswordUseCase.ChangePassword(request.getUserId(), request.getNewPassword(),
                            optional(request.hasExpectedVersion(), request.getExpectedVersion()),
                            request.hasCurrentPassword() ? Optional.of(request.getCurrentPassword()) : Optional.empty()),
                    CallMetadata.current()));
        });
    }

    @Override
    public void updateProfile(UpdateProfileRequest request, StreamObserver<User> response) {
        respond(response, () -> UserMessages.toMessage(useCases.updateProfile().updateProfile(
                new UpdateProfileUseCase.UpdateProfile(request.getUserId(),
                        request.hasFirstName() ? Optional.of(request.getFirstName()) : Optional.empty(),
                        request.hasLastName() ? Optional.of(request.getLastName()) : Optional.empty(),
                        request.hasAvatarUrl() ? Optional.of(request.getAvatarUrl()) : Optional.empty(),
                        optional(request.hasExpectedVersion(), request.getExpectedVersion())), CallMetadata.current())));
    }

    @Override
    public void activateUser(ActivateUserRequest request, StreamObserver<User> response) {
        respond(response, () -> UserMessages.toMessage(useCases.activate().activateUser(new UserCommand(
                request.getUserId(), optional(request.hasExpectedVersion(), request.getExpectedVersion())),
                CallMetadata.current())));
    }

    @Override
    public void deactivateUser(DeactivateUserRequest request, StreamObserver<User> response) {
        respond(response, () -> UserMessages.toMessage(useCases.deactivate().deactivateUser(new UserCommand(
                request.getUserId(), optional(request.hasExpectedVersion(), request.getExpectedVersion())),
                CallMetadata.current())));
    }

    @Override
    public void deleteUser(DeleteUserRequest request, StreamObserver<User> response) {
        respond(response, () -> UserMessages.toMessage(useCases.delete().deleteUser(new UserCommand(
                request.getUserId(), optional(request.hasExpectedVersion(), request.getExpectedVersion())),
                CallMetadata.current())));
    }

    // ---- queries ----

    @Override
    public void getUser(GetUserRequest request, StreamObserver<User> response) {
        respond(response, () -> UserMessages.toMessage(useCases.getUser().getUser(request.getUserId(),
                optional(request.hasMinVersion(), request.getMinVersion()), deadline())));
    }

    @Override
    public void getUserByEmail(GetUserByEmailRequest request, StreamObserver<User> response) {
        respond(response, () -> UserMessages.toMessage(useCases.findUserByEmail().findUserByEmail(request.getEmail())));
    }

    @Override
    public void getUserByUsername(GetUserByUsernameRequest request, StreamObserver<User> response) {
        respond(response, () -> UserMessages.toMessage(
                useCases.findUserByUsername().findUserByUsername(request.getUsername())));
    }

    @Override
    public void listUsers(ListUsersRequest request, StreamObserver<ListUsersResponse> response) {
        respond(response, () -> {
            ListUsersQuery.Page page = useCases.listUsers().listUsers(new ListUsersQuery.ListUsers(
                    request.getPageSize(), request.getPageToken(), UserMessages.statusFilter(request.getStatus())));
            ListUsersResponse.Builder message = ListUsersResponse.newBuilder()
                    .setNextPageToken(page.nextPageToken().orElse(""));
            page.users().forEach(user -> message.addUsers(UserMessages.toMessage(user)));
            return message.build();
        });
    }

    @Override
    public void getUserHistory(GetUserHistoryRequest request, StreamObserver<GetUserHistoryResponse> response) {
        respond(response, () -> {
            GetUserHistoryResponse.Builder message = GetUserHistoryResponse.newBuilder();
            useCases.getUserHistory().getUserHistory(request.getUserId()).forEach(entry -> {
                UserEventRecord record = UserMessages.toMessage(entry);
                message.addEvents(request.getWithoutData() ? record.toBuilder().clearDataJson().build() : record);
            });
            return message.build();
        });
    }

    @Override
    public void getUserAt(GetUserAtRequest request, StreamObserver<User> response) {
        respond(response, () -> UserMessages.toMessage(userAt(request)));
    }

    private UserView userAt(GetUserAtRequest request) {
        return switch (request.getPointCase()) {
            case AS_OF -> useCases.getUserAt().getUserAsOf(request.getUserId(),
                    UserMessages.instant(request.getAsOf(), "as_of"));
            case VERSION -> useCases.getUserAt().getUserAtVersion(request.getUserId(), request.getVersion());
            case POINT_NOT_SET -> {
                // Name every offending field, as the use cases do, not just the missing point.
                FieldViolations violations = new FieldViolations();
                violations.check("user_id", () -> UserId.parse(request.getUserId()));
                violations.add("point", "set either as_of or version");
                violations.throwIfAny();
                throw new IllegalStateException("unreachable: a violation was recorded");
            }
        };
    }

    /**
     * When the caller stops waiting: its gRPC deadline, or {@link #DEFAULT_WAIT} from now if it set
     * none.
     */
    private static Instant deadline() {
        Deadline deadline = Context.current().getDeadline();
        Instant now = Instant.now();
        Instant callerDeadline = deadline != null ? now.plusNanos(deadline.timeRemaining(TimeUnit.NANOSECONDS))
                : now.plus(DEFAULT_WAIT);
        // A version that never arrives (its event parked, say) must not keep a call polling for hours.
        Instant cap = now.plus(MAX_WAIT);
        return callerDeadline.isAfter(cap) ? cap : callerDeadline;
    }

    private static OptionalLong optional(boolean present, long value) {
        return present ? OptionalLong.of(value) : OptionalLong.empty();
    }
}
