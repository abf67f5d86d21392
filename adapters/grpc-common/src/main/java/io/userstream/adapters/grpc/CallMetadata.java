package io.userstream.adapters.grpc;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.userstream.adapters.grpc.auth.Authentication;
import io.userstream.adapters.grpc.auth.Principal;
import io.userstream.application.port.in.CommandContext;

import java.util.Optional;
import java.util.UUID;

/**
 * Reads the caller's tracing metadata into the gRPC {@link Context}, so that every event a call
 * produces records who asked and as part of what.
 *
 * <ul>
 *   <li>{@code x-correlation-id}: kept if sent, else a new UUID (also echoed back in response headers);</li>
 *   <li>{@code x-causation-id}: optional, the message or event that caused this call;</li>
 *   <li>the actor: the verified token's subject when authentication is on ({@code x-actor} is then
 *       ignored, so the audit trail cannot be forged); with authentication off (local runs only),
 *       {@code x-actor}, or {@code anonymous} if absent.</li>
 * </ul>
 * It must run after {@link Authentication}, which puts the verified caller in the {@link Context}.
 * The caller's deadline ({@code grpc-timeout}) needs no help: grpc-java's server makes it the
 * {@link Context} deadline.
 */
public final class CallMetadata implements ServerInterceptor {

    static final Metadata.Key<String> CORRELATION_ID = Metadata.Key.of("x-correlation-id", Metadata.ASCII_STRING_MARSHALLER);
    static final Metadata.Key<String> CAUSATION_ID = Metadata.Key.of("x-causation-id", Metadata.ASCII_STRING_MARSHALLER);
    static final Metadata.Key<String> ACTOR = Metadata.Key.of("x-actor", Metadata.ASCII_STRING_MARSHALLER);

    private static final Context.Key<CommandContext> COMMAND_CONTEXT = Context.key("userstream-command-context");
    private static final int MAX_LENGTH = 200;

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                      ServerCallHandler<Q, R> next) {
        String correlationId = bounded(headers.get(CORRELATION_ID)).orElseGet(() -> UUID.randomUUID().toString());
        CommandContext context = new CommandContext(correlationId, bounded(headers.get(CAUSATION_ID)),
                Authentication.current().map(Principal::subject)
                        .orElseGet(() -> bounded(headers.get(ACTOR)).orElse("anonymous")));
        ServerCall<Q, R> echoing = new io.grpc.ForwardingServerCall.SimpleForwardingServerCall<>(call) {
            @Override
            public void sendHeaders(Metadata responseHeaders) {
                responseHeaders.put(CORRELATION_ID, correlationId);
                super.sendHeaders(responseHeaders);
            }
        };
        Context withCall = Context.current().withValue(COMMAND_CONTEXT, context);
        return Contexts.interceptCall(withCall, echoing, headers, next);
    }

    /** The current call's context; a fresh anonymous one outside a call (e.g. in unit tests). */
    static CommandContext current() {
        CommandContext context = COMMAND_CONTEXT.get();
        return context != null ? context
                : new CommandContext(UUID.randomUUID().toString(), Optional.empty(), "anonymous");
    }

    private static Optional<String> bounded(String value) {
        if (value == null || value.isBlank()) {
            return Optional.empty();
        }
        String trimmed = value.strip();
        return Optional.of(trimmed.length() > MAX_LENGTH ? trimmed.substring(0, MAX_LENGTH) : trimmed);
    }
}
