package io.userstream.adapters.grpc.auth;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.StatusException;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Authenticates every call with its {@code authorization: Bearer <JWT>} metadata and authorizes it with
 * the method's {@link AccessRule}, before any of the service's code runs.
 *
 * <ul>
 *   <li>No rule for the method: {@code PERMISSION_DENIED} (deny by default, so a new RPC is closed until
 *       someone decides who may call it).</li>
 *   <li>No token, or one that does not verify (bad signature, expired, wrong issuer or audience):
 *       {@code UNAUTHENTICATED}.</li>
 *   <li>A verified token without the scope, or acting on another subject's account:
 *       {@code PERMISSION_DENIED}.</li>
 * </ul>
 * The verified {@link Principal} is put in the call's {@link Context} ({@link #current()}), where the
 * actor recorded on events is taken from.
 */
public final class Authentication implements ServerInterceptor {

    private static final Logger LOG = Logger.getLogger(Authentication.class.getName());
    private static final Context.Key<Principal> PRINCIPAL = Context.key("userstream-principal");
    private static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    private static final String BEARER = "Bearer ";

    private final TokenVerifier verifier;
    private final Map<String, AccessRule> rules;

    /**
     * @param verifier checks tokens
     * @param rules    by full method name ({@code package.Service/Method}), or {@code package.Service/*} for
     *                 every method of a service; see {@link ApiAccess}
     */
    public Authentication(TokenVerifier verifier, Map<String, AccessRule> rules) {
        this.verifier = Objects.requireNonNull(verifier, "verifier");
        this.rules = Map.copyOf(rules);
    }

    /** The verified caller of the current call; empty outside a call or when authentication is off. */
    public static Optional<Principal> current() {
        return Optional.ofNullable(PRINCIPAL.get());
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                      ServerCallHandler<Q, R> next) {
        String method = call.getMethodDescriptor().getFullMethodName();
        AccessRule rule = ruleFor(method);
        if (rule == null) {
            return refuse(call, Status.PERMISSION_DENIED.withDescription("no caller may call " + method));
        }
        if (!rule.needsToken()) {
            return next.startCall(call, headers);
        }
        Principal caller;
        try {
            caller = authenticate(method, rule, headers.get(AUTHORIZATION));
        } catch (StatusException refused) {
            return refuse(call, refused.getStatus());
        }
        ServerCall.Listener<Q> listener = Contexts.interceptCall(
                Context.current().withValue(PRINCIPAL, caller), call, headers, next);
        if (!rule.needsOwnerCheck(caller)) {
            return listener;
        }
        return new OwnerCheck<>(listener, call, caller, rule);
    }

    /**
     * The same checks for a transport other than gRPC (the HTTP/JSON transcoding of an RPC): the caller of
     * {@code method} with this {@code Authorization} header, acting on the account {@code owner}.
     *
     * @return the refusal, or empty if the call may go ahead
     */
    public Optional<Status> check(String method, String authorizationHeader, String owner) {
        AccessRule rule = ruleFor(method);
        if (rule == null) {
            return Optional.of(Status.PERMISSION_DENIED.withDescription("no caller may call " + method));
        }
        if (!rule.needsToken()) {
            return Optional.empty();
        }
        try {
            Principal caller = authenticate(method, rule, authorizationHeader);
            if (rule.needsOwnerCheck(caller) && !OwnerCheck.sameAccount(caller.subject(), owner)) {
                return Optional.of(OwnerCheck.refusal(rule));
            }
            return Optional.empty();
        } catch (StatusException refused) {
            return Optional.of(refused.getStatus());
        }
    }

    /** The verified caller, if it holds the rule's scope (its account is checked later, on the request). */
    private Principal authenticate(String method, AccessRule rule, String header) throws StatusException {
        if (header == null || !header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            throw Status.UNAUTHENTICATED.withDescription("missing 'authorization: Bearer <token>' metadata")
                    .asException();
        }
        Principal caller;
        try {
            caller = verifier.verify(header.substring(BEARER.length()).strip());
        } catch (InvalidTokenException e) {
            LOG.log(Level.FINE, () -> "refused a token for " + method + ": " + e.getMessage());
            throw Status.UNAUTHENTICATED.withDescription("invalid bearer token: " + e.getMessage()).asException();
        }
        if (!rule.admits(caller)) {
            throw Status.PERMISSION_DENIED.withDescription(method + " needs scope " + rule.scope().orElseThrow()
                    + (rule.anyAccount().isEmpty() ? "" : " (or one of " + rule.anyAccount() + ")")).asException();
        }
        return caller;
    }

    private AccessRule ruleFor(String method) {
        AccessRule exact = rules.get(method);
        return exact != null ? exact : rules.get(method.substring(0, method.indexOf('/') + 1) + "*");
    }

    private static <Q, R> ServerCall.Listener<Q> refuse(ServerCall<Q, R> call, Status status) {
        call.close(status, new Metadata());
        return new ServerCall.Listener<>() {
        };
    }

    /**
     * Lets the request through only if its owner field names the caller's own account. The request is
     * read before the service sees it; a refused one is never handed on.
     */
    private static final class OwnerCheck<Q, R> extends SimpleForwardingServerCallListener<Q> {

        private final ServerCall<Q, R> call;
        private final Principal caller;
        private final AccessRule rule;
        private boolean refused;

        OwnerCheck(ServerCall.Listener<Q> delegate, ServerCall<Q, R> call, Principal caller, AccessRule rule) {
            super(delegate);
            this.call = call;
            this.caller = caller;
            this.rule = rule;
        }

        @Override
        public void onMessage(Q request) {
            if (refused) {
                return;
            }
            if (!sameAccount(caller.subject(), owner(request))) {
                refused = true;
                call.close(refusal(rule), new Metadata());
                return;
            }
            super.onMessage(request);
        }

        static Status refusal(AccessRule rule) {
            return Status.PERMISSION_DENIED.withDescription("a caller may act on its own account only ("
                    + rule.ownerField().orElseThrow() + " must be the token's subject); other accounts need one of "
                    + rule.anyAccount());
        }

        @Override
        public void onHalfClose() {
            if (!refused) {
                super.onHalfClose();
            }
        }

        private String owner(Q request) {
            if (request instanceof Message message) {
                FieldDescriptor descriptor = message.getDescriptorForType()
                        .findFieldByName(rule.ownerField().orElseThrow());
                if (descriptor != null && descriptor.getJavaType() == FieldDescriptor.JavaType.STRING) {
                    return (String) message.getField(descriptor);
                }
            }
            return "";
        }

        /** UUIDs compare as UUIDs (case does not matter), anything else exactly. */
        static boolean sameAccount(String subject, String owner) {
            try {
                return UUID.fromString(subject).equals(UUID.fromString(owner));
            } catch (IllegalArgumentException notUuids) {
                return !owner.isEmpty() && subject.equals(owner);
            }
        }
    }
}
