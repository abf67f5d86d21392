package io.userstream.adapters.grpc;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import com.google.rpc.BadRequest;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.userstream.adapters.grpc.auth.Authentication;
import io.userstream.application.port.in.GetUserStatsQuery;
import io.userstream.proto.userstats.v1.UserStatsServiceGrpc;

import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@code GET /stats/{user_id}}: {@code GetUserStats} transcoded to HTTP and JSON, for curl, browsers
 * and monitoring probes that do not speak gRPC.
 *
 * <p>It is the gRPC method, not a second implementation: the same use case (with its on-read
 * repair), the same message ({@link UserStatsGrpcService#toMessage}) and the same error mapping
 * ({@link StatsGrpcErrors}). Bodies use the proto3 JSON mapping, so a client library reads both
 * transports alike: lowerCamelCase fields, RFC 3339 timestamps, int64 as strings, enum names. An error
 * is the {@code google.rpc.Status} in that mapping (a {@code BadRequest} detail names each offending
 * field), under the HTTP status that Google's API design guide pairs with its gRPC code.
 */
public final class UserStatsHttpService implements HttpService {

    private static final Logger LOG = Logger.getLogger(UserStatsHttpService.class.getName());
    private static final JsonFormat.Printer JSON = JsonFormat.printer()
            .usingTypeRegistry(JsonFormat.TypeRegistry.newBuilder().add(BadRequest.getDescriptor()).build());

    private static final String METHOD = UserStatsServiceGrpc.getGetUserStatsMethod().getFullMethodName();

    private final GetUserStatsQuery getUserStats;
    private final Optional<Authentication> authentication;

    /** Without authentication: for local runs only, like the gRPC API it mirrors. */
    public UserStatsHttpService(GetUserStatsQuery getUserStats) {
        this(getUserStats, Optional.empty());
    }

    /**
     * @param authentication when present, a request needs {@code Authorization: Bearer <token>} and passes the
     *                       very rule of the gRPC method (401 or 403 otherwise)
     */
    public UserStatsHttpService(GetUserStatsQuery getUserStats, Optional<Authentication> authentication) {
        this.getUserStats = getUserStats;
        this.authentication = authentication;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/stats/{user_id}", this::getUserStats);
    }

    private void getUserStats(ServerRequest request, ServerResponse response) {
        String userId = request.path().pathParameters().get("user_id");
        Message body;
        int httpStatus;
        try {
            Optional<Status> refusal = authentication.flatMap(auth -> auth.check(METHOD,
                    request.headers().first(HeaderNames.AUTHORIZATION).orElse(null), userId));
            if (refusal.isPresent()) {
                throw refusal.get().asRuntimeException();
            }
            body = UserStatsGrpcService.toMessage(getUserStats.getUserStats(userId));
            httpStatus = 200;
        } catch (RuntimeException failure) {
            com.google.rpc.Status status = StatusProto.fromThrowable(StatsGrpcErrors.toStatus(failure));
            body = status;
            httpStatus = httpStatusOf(Status.fromCodeValue(status.getCode()).getCode());
        }
        response.status(httpStatus).header(HeaderValues.CONTENT_TYPE_JSON).send(json(body));
    }

    private static String json(Message message) {
        try {
            return JSON.print(message);
        } catch (InvalidProtocolBufferException e) {
            // Only an Any of a type missing from the registry gets here: a bug of ours, not the caller's.
            LOG.log(Level.SEVERE, "cannot write " + message.getDescriptorForType().getFullName() + " as JSON", e);
            return "{\"code\":13,\"message\":\"internal error\"}";
        }
    }

    /** The HTTP status Google's API design guide (and grpc-gateway) pair with each gRPC code. */
    static int httpStatusOf(Status.Code code) {
        return switch (code) {
            case OK -> 200;
            case INVALID_ARGUMENT, FAILED_PRECONDITION, OUT_OF_RANGE -> 400;
            case UNAUTHENTICATED -> 401;
            case PERMISSION_DENIED -> 403;
            case NOT_FOUND -> 404;
            case ALREADY_EXISTS, ABORTED -> 409;
            case RESOURCE_EXHAUSTED -> 429;
            case CANCELLED -> 499;
            case UNIMPLEMENTED -> 501;
            case UNAVAILABLE -> 503;
            case DEADLINE_EXCEEDED -> 504;
            case UNKNOWN, INTERNAL, DATA_LOSS -> 500;
        };
    }
}
