package io.userstream.adapters.grpc;

import io.grpc.stub.StreamObserver;
import io.userstream.application.port.in.ActivateUserUseCase;
import io.userstream.application.port.in.ChangeEmailUseCase;
import io.userstream.application.port.in.ChangePasswordUseCase;
import io.userstream.application.port.in.CreateUserUseCase;
import io.userstream.application.port.in.DeactivateUserUseCase;
import io.userstream.application.port.in.DeleteUserUseCase;
import io.userstream.application.port.in.GetUserQuery;
import io.userstream.application.port.in.UpdateProfileUseCase;
import io.userstream.application.port.in.UserCommand;
import io.userstream.domain.user.User;
import io.userstream.proto.user.v1.ActivateUserRequest;
import io.userstream.proto.user.v1.ChangeEmailRequest;
import io.userstream.proto.user.v1.ChangePasswordRequest;
import io.userstream.proto.user.v1.CreateUserRequest;
import io.userstream.proto.user.v1.DeactivateUserRequest;
import io.userstream.proto.user.v1.DeleteUserRequest;
import io.userstream.proto.user.v1.GetUserRequest;
import io.userstream.proto.user.v1.UpdateProfileRequest;
import io.userstream.proto.user.v1.UserServiceGrpc;

import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Supplier;

/** {@code userstream.user.v1.UserService}: translates requests to use cases and users to messages. */
public final class UserGrpcService extends UserServiceGrpc.UserServiceImplBase {

    /** The use cases this service exposes. */
    public record UseCases(CreateUserUseCase create, ChangeEmailUseCase changeEmail,
                           ChangePasswordUseCase changePassword, UpdateProfileUseCase updateProfile,
                           ActivateUserUseCase activate, DeactivateUserUseCase deactivate,
                           DeleteUserUseCase delete, GetUserQuery getUser) {
    }

    private final UseCases useCases;

    public UserGrpcService(UseCases useCases) {
        this.useCases = useCases;
    }

    @Override
    public void createUser(CreateUserRequest request, StreamObserver<io.userstream.proto.user.v1.User> response) {
        respond(response, () -> useCases.create().createUser(new CreateUserUseCase.CreateUser(request.getEmail(),
                request.getUsername(), request.getPassword(), request.getFirstName(), request.getLastName(),
                request.getAvatarUrl()), CallMetadata.current()));
    }

    @Override
    public void changeEmail(ChangeEmailRequest request, StreamObserver<io.userstream.proto.user.v1.User> response) {
        respond(response, () -> useCases.changeEmail().changeEmail(new ChangeEmailUseCase.ChangeEmail(
                request.getUserId(), request.getNewEmail(),
                expected(request.hasExpectedVersion(), request.getExpectedVersion())), CallMetadata.current()));
    }

    @Override
    public void changePassword(ChangePasswordRequest request, StreamObserver<io.userstream.proto.user.v1.User> response) {
        respond(response, () -> useCases.changePassword().changePassword(new ChangePasswordUseCase.ChangePassword(
                request.getUserId(), request.getNewPassword(),
                expected(request.hasExpectedVersion(), request.getExpectedVersion())), CallMetadata.current()));
    }

    @Override
    public void updateProfile(UpdateProfileRequest request, StreamObserver<io.userstream.proto.user.v1.User> response) {
        respond(response, () -> useCases.updateProfile().updateProfile(new UpdateProfileUseCase.UpdateProfile(
                request.getUserId(),
                request.hasFirstName() ? Optional.of(request.getFirstName()) : Optional.empty(),
                request.hasLastName() ? Optional.of(request.getLastName()) : Optional.empty(),
                request.hasAvatarUrl() ? Optional.of(request.getAvatarUrl()) : Optional.empty(),
                expected(request.hasExpectedVersion(), request.getExpectedVersion())), CallMetadata.current()));
    }

    @Override
    public void activateUser(ActivateUserRequest request, StreamObserver<io.userstream.proto.user.v1.User> response) {
        respond(response, () -> useCases.activate().activateUser(new UserCommand(request.getUserId(),
                expected(request.hasExpectedVersion(), request.getExpectedVersion())), CallMetadata.current()));
    }

    @Override
    public void deactivateUser(DeactivateUserRequest request, StreamObserver<io.userstream.proto.user.v1.User> response) {
        respond(response, () -> useCases.deactivate().deactivateUser(new UserCommand(request.getUserId(),
                expected(request.hasExpectedVersion(), request.getExpectedVersion())), CallMetadata.current()));
    }

    @Override
    public void deleteUser(DeleteUserRequest request, StreamObserver<io.userstream.proto.user.v1.User> response) {
        respond(response, () -> useCases.delete().deleteUser(new UserCommand(request.getUserId(),
                expected(request.hasExpectedVersion(), request.getExpectedVersion())), CallMetadata.current()));
    }

    @Override
    public void getUser(GetUserRequest request, StreamObserver<io.userstream.proto.user.v1.User> response) {
        respond(response, () -> useCases.getUser().getUser(request.getUserId()));
    }

    private static OptionalLong expected(boolean present, long value) {
        return present ? OptionalLong.of(value) : OptionalLong.empty();
    }

    private static void respond(StreamObserver<io.userstream.proto.user.v1.User> response, Supplier<User> call) {
        io.userstream.proto.user.v1.User message;
        try {
            message = UserMessages.toMessage(call.get());
        } catch (RuntimeException e) {
            response.onError(GrpcErrors.toStatus(e));
            return;
        }
        response.onNext(message);
        response.onCompleted();
    }
}
