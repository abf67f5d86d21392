package io.userstream.adapters.grpc;

import io.grpc.stub.StreamObserver;

import java.util.function.Supplier;

/** Answers a unary call from a use case's result, or with the status its failure maps to. */
final class Responses {

    private Responses() {
    }

    /** Sends the answer, or the status the failure maps to; a failure never escapes as UNKNOWN. */
    static <M> void respond(StreamObserver<M> response, Supplier<M> call) {
        M message;
        try {
            message = call.get();
        } catch (RuntimeException e) {
            response.onError(GrpcErrors.toStatus(e));
            return;
        }
        response.onNext(message);
        response.onCompleted();
    }
}
