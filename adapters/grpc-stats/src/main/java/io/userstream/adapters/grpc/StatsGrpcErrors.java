package io.userstream.adapters.grpc;

import com.google.protobuf.Any;
import com.google.protobuf.Timestamp;
import com.google.rpc.BadRequest;
import com.google.rpc.Code;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.StreamObserver;
import io.userstream.application.port.in.NotFoundException;
import io.userstream.application.port.out.StoreUnavailableException;
import io.userstream.application.port.out.UserDirectoryUnavailableException;
import io.userstream.domain.stats.InvalidRequestException;

import java.time.Instant;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * user-stats-service's table from failures to gRPC status codes, the same contract as user-service's: a
 * client's mistake is INVALID_ARGUMENT with a {@code google.rpc.BadRequest} naming every offending field,
 * never {@code UNKNOWN} or {@code INTERNAL}; an internal failure never leaks a stack trace or SQL, only a
 * correlation id.
 */
final class StatsGrpcErrors {

    private static final Logger LOG = Logger.getLogger(StatsGrpcErrors.class.getName());

    private StatsGrpcErrors() {
    }

    /** Sends the answer, or the status the failure maps to; a failure never escapes as UNKNOWN. */
    static <M> void respond(StreamObserver<M> response, Supplier<M> call) {
        M message;
        try {
            message = call.get();
        } catch (RuntimeException e) {
            response.onError(toStatus(e));
            return;
        }
        response.onNext(message);
        response.onCompleted();
    }

    static StatusRuntimeException toStatus(Throwable failure) {
        if (failure instanceof StatusRuntimeException status) {
            return status;
        }
        if (failure instanceof InvalidRequestException invalid) {
            return invalidArgument(invalid);
        }
        if (failure instanceof NotFoundException notFound) {
            return status(Code.NOT_FOUND, notFound.getMessage());
        }
        if (failure instanceof UserDirectoryUnavailableException unavailable) {
            LOG.log(Level.WARNING, "user-service unavailable", unavailable);
            return status(Code.UNAVAILABLE, "user-service is unavailable, retry later: " + unavailable.getMessage());
        }
        if (failure instanceof StoreUnavailableException unavailable) {
            LOG.log(Level.WARNING, "storage unavailable", unavailable);
            return status(Code.UNAVAILABLE, "storage is unavailable, retry later");
        }
        String correlationId = CallMetadata.current().correlationId();
        LOG.log(Level.SEVERE, "unexpected failure (correlation id " + correlationId + ")", failure);
        return status(Code.INTERNAL, "internal error; correlation id " + correlationId);
    }

    /** INVALID_ARGUMENT with a {@code google.rpc.BadRequest} naming every offending field. */
    static StatusRuntimeException invalidArgument(InvalidRequestException invalid) {
        BadRequest.Builder details = BadRequest.newBuilder();
        for (InvalidRequestException.Violation violation : invalid.violations()) {
            details.addFieldViolations(BadRequest.FieldViolation.newBuilder()
                    .setField(violation.field())
                    .setDescription(violation.reason()));
        }
        return StatusProto.toStatusRuntimeException(com.google.rpc.Status.newBuilder()
                .setCode(Code.INVALID_ARGUMENT_VALUE)
                .setMessage(invalid.getMessage())
                .addDetails(Any.pack(details.build()))
                .build());
    }

    static Timestamp timestamp(Instant instant) {
        return Timestamp.newBuilder().setSeconds(instant.getEpochSecond()).setNanos(instant.getNano()).build();
    }

    private static StatusRuntimeException status(Code code, String message) {
        return StatusProto.toStatusRuntimeException(com.google.rpc.Status.newBuilder()
                .setCode(code.getNumber())
                .setMessage(message)
                .build());
    }
}
