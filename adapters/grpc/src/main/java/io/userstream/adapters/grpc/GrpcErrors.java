package io.userstream.adapters.grpc;

import com.google.protobuf.Any;
import com.google.rpc.BadRequest;
import com.google.rpc.Code;
import com.google.rpc.RetryInfo;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.userstream.application.port.in.NotFoundException;
import io.userstream.application.port.in.PreconditionFailedException;
import io.userstream.application.port.in.TooManyAttemptsException;
import io.userstream.application.port.out.PasswordHashingSaturatedException;
import io.userstream.application.port.out.StoreUnavailableException;
import io.userstream.domain.user.FieldViolation;
import io.userstream.domain.user.UserRejectedException;
import io.userstream.domain.user.UserRejection;

import java.time.Duration;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The one table from failures to gRPC status codes. A client's mistake never becomes
 * {@code UNKNOWN} or {@code INTERNAL}; an internal failure never leaks a stack trace or SQL.
 */
final class GrpcErrors {

    private static final Logger LOG = Logger.getLogger(GrpcErrors.class.getName());

    private GrpcErrors() {
    }

    static StatusRuntimeException toStatus(Throwable failure) {
        if (failure instanceof UserRejectedException rejected) {
            return toStatus(rejected.rejection());
        }
        if (failure instanceof StatusRuntimeException status) {
            return status;
        }
        if (failure instanceof NotFoundException notFound) {
            return status(Code.NOT_FOUND, notFound.getMessage());
        }
        if (failure instanceof PreconditionFailedException precondition) {
            return status(Code.FAILED_PRECONDITION, precondition.getMessage());
        }
        if (failure instanceof PasswordHashingSaturatedException saturated) {
            return resourceExhausted(saturated);
        }
        if (failure instanceof TooManyAttemptsException tooMany) {
            return resourceExhausted(tooMany.getMessage(), tooMany.retryAfter());
        }
        if (failure instanceof StoreUnavailableException unavailable) {
            LOG.log(Level.WARNING, "storage unavailable", unavailable);
            return status(Code.UNAVAILABLE, "storage is unavailable, retry later");
        }
        String correlationId = CallMetadata.current().correlationId();
        LOG.log(Level.SEVERE, "unexpected failure (correlation id " + correlationId + ")", failure);
        return status(Code.INTERNAL, "internal error; correlation id " + correlationId);
    }

    static StatusRuntimeException toStatus(UserRejection rejection) {
        return switch (rejection) {
            case UserRejection.InvalidInput invalid -> invalidArgument(invalid);
            case UserRejection.EmailAlreadyTaken taken -> status(Code.ALREADY_EXISTS, taken.message());
            case UserRejection.UsernameAlreadyTaken taken -> status(Code.ALREADY_EXISTS, taken.message());
            case UserRejection.UserNotFound notFound -> status(Code.NOT_FOUND, notFound.message());
            case UserRejection.WrongPassword wrong -> status(Code.PERMISSION_DENIED, wrong.message());
            case UserRejection.UserIsDeleted deleted -> status(Code.FAILED_PRECONDITION, deleted.message());
            case UserRejection.UsernameIsImmutable renamed -> status(Code.FAILED_PRECONDITION, renamed.message());
            case UserRejection.VersionMismatch mismatch -> status(Code.FAILED_PRECONDITION, mismatch.message());
            case UserRejection.ConcurrencyConflict conflict -> status(Code.ABORTED, conflict.message());
            case UserRejection.NoUserWithEmail notFound -> status(Code.NOT_FOUND, notFound.message());
            case UserRejection.NoUserWithUsername notFound -> status(Code.NOT_FOUND, notFound.message());
            case UserRejection.VersionNotFound notReached -> status(Code.OUT_OF_RANGE, notReached.message());
            case UserRejection.ReadModelBehind behind -> status(Code.DEADLINE_EXCEEDED, behind.message());
        };
    }

    /** INVALID_ARGUMENT with a {@code google.rpc.BadRequest} naming every offending field. */
    static StatusRuntimeException invalidArgument(UserRejection.InvalidInput invalid) {
        BadRequest.Builder details = BadRequest.newBuilder();
        for (FieldViolation violation : invalid.violations()) {
            details.addFieldViolations(BadRequest.FieldViolation.newBuilder()
                    .setField(violation.field())
                    .setDescription(violation.reason()));
        }
        return StatusProto.toStatusRuntimeException(com.google.rpc.Status.newBuilder()
                .setCode(Code.INVALID_ARGUMENT_VALUE)
                .setMessage(invalid.message())
                .addDetails(Any.pack(details.build()))
                .build());
    }

    /**
     * RESOURCE_EXHAUSTED with a {@code google.rpc.RetryInfo} telling when capacity should be free again.
     * Not logged one by one: under a flood that would be a log line per refused call (the refusals are
     * counted in the metrics instead).
     */
    static StatusRuntimeException resourceExhausted(PasswordHashingSaturatedException saturated) {
        return resourceExhausted(saturated.getMessage(), saturated.retryAfter());
    }

    /** RESOURCE_EXHAUSTED with a {@code google.rpc.RetryInfo} of {@code delay}. */
    static StatusRuntimeException resourceExhausted(String message, Duration delay) {
        return StatusProto.toStatusRuntimeException(com.google.rpc.Status.newBuilder()
                .setCode(Code.RESOURCE_EXHAUSTED_VALUE)
                .setMessage(message)
                .addDetails(Any.pack(RetryInfo.newBuilder()
                        .setRetryDelay(com.google.protobuf.Duration.newBuilder()
                                .setSeconds(delay.getSeconds())
                                .setNanos(delay.getNano()))
                        .build()))
                .build());
    }

    private static StatusRuntimeException status(Code code, String message) {
        return StatusProto.toStatusRuntimeException(com.google.rpc.Status.newBuilder()
                .setCode(code.getNumber())
                .setMessage(message)
                .build());
    }
}
