package io.userstream.adapters.grpc;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;
import java.util.Set;

/**
 * Guards the operator APIs: a call to a guarded service must carry {@code authorization: Bearer <token>}
 * with the configured token, else it is refused with {@code UNAUTHENTICATED} before it runs. With no
 * token configured, every call to them is refused: there is no default token.
 */
public final class AdminAuthorization implements ServerInterceptor {

    private static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    private static final String BEARER = "Bearer ";

    private final Optional<byte[]> token;
    private final Set<String> guardedServices;

    /**
     * @param token           the shared secret; empty disables the guarded services
     * @param guardedServices full names of the services to guard, e.g. {@code userstream.admin.v1.ProjectionAdmin}
     */
    public AdminAuthorization(Optional<String> token, String... guardedServices) {
        this.token = token.filter(value -> !value.isBlank()).map(value -> value.getBytes(StandardCharsets.UTF_8));
        this.guardedServices = Set.of(guardedServices);
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                      ServerCallHandler<Q, R> next) {
        if (!guardedServices.contains(call.getMethodDescriptor().getServiceName())) {
            return next.startCall(call, headers);
        }
        String refusal = refusal(headers.get(AUTHORIZATION));
        if (refusal != null) {
            call.close(Status.UNAUTHENTICATED.withDescription(refusal), new Metadata());
            return new ServerCall.Listener<>() {
            };
        }
        return next.startCall(call, headers);
    }

    private String refusal(String header) {
        if (token.isEmpty()) {
            return "the admin API is disabled: no admin token is configured";
        }
        if (header == null || !header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return "missing 'authorization: Bearer <token>' metadata";
        }
        byte[] presented = header.substring(BEARER.length()).strip().getBytes(StandardCharsets.UTF_8);
        // Constant-time comparison: response timing must not reveal how much of the token matched.
        return MessageDigest.isEqual(presented, token.get()) ? null : "invalid admin token";
    }
}
