package io.userstream.bootstrap;

import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptor;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionService;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.helidon.health.HealthCheckResponse;
import io.helidon.health.HealthCheckType;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.observe.ObserveFeature;
import io.helidon.webserver.observe.health.HealthObserver;
import io.helidon.webserver.observe.health.HealthObserverConfig;
import io.helidon.webserver.observe.metrics.MetricsObserver;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.logging.Logger;

/**
 * The server shape both services share: the gRPC API (with gRPC health and server reflection, v1 and
 * v1alpha) on grpc-java's Netty server, and {@code /metrics}, {@code /health} and any HTTP services
 * (e.g. {@code GET /stats/{user_id}}) on a Helidon WebServer on a second port.
 *
 * <p>Why grpc-java's server and not Helidon's: the HPACK decoder of Helidon 4.4.0 and 4.5.0 refuses a pseudo-header
 * whose name is sent as a literal, which RFC 7541 allows and gRPC's C core does for {@code :path},
 * so every Python, C++, Ruby, PHP and C# (Grpc.Core) client got {@code GOAWAY} on every call (see
 * README, "Decisions and dependencies", and {@code InteropClientsTest}). grpc-java is the reference
 * implementation, also turns the caller's {@code grpc-timeout} into a {@code Context} deadline, and
 * serves the very {@code BindableService}s the adapters already implement.
 */
final class GrpcServer {

    private static final Logger LOG = Logger.getLogger(GrpcServer.class.getName());

    /** Largest request accepted; our requests are a few KiB, so 4 MiB only stops abuse (RESOURCE_EXHAUSTED). */
    static final int MAX_INBOUND_MESSAGE_BYTES = 4 * 1024 * 1024;
    /** Largest request headers accepted (the gRPC default, stated so it is visible). */
    static final int MAX_INBOUND_METADATA_BYTES = 8 * 1024;
    /** The server pings an idle connection this often, so half-open connections behind NATs are noticed. */
    static final Duration KEEPALIVE_TIME = Duration.ofMinutes(2);
    /** ... and closes it if the ping is not answered within this. */
    static final Duration KEEPALIVE_TIMEOUT = Duration.ofSeconds(20);
    /**
     * Clients may ping this often (also between calls); faster pings get GOAWAY {@code too_many_pings}.
     * 10 s admits every common client keepalive setting while stopping ping floods.
     */
    static final Duration PERMIT_KEEPALIVE_TIME = Duration.ofSeconds(10);
    /** On shutdown, calls in flight get this long to finish before they are cancelled. */
    static final Duration DRAIN_GRACE = Duration.ofSeconds(10);

    private final Server grpc;
    private final WebServer http;
    private final HealthStatusManager grpcHealth;
    private final ExecutorService callExecutor;

    private GrpcServer(Server grpc, WebServer http, HealthStatusManager grpcHealth, ExecutorService callExecutor) {
        this.grpc = grpc;
        this.http = http;
        this.grpcHealth = grpcHealth;
        this.callExecutor = callExecutor;
    }

    /**
     * Starts both servers and reports SERVING for {@code ""} and every given service name.
     *
     * @param services     the API's services; they must be generated from .proto files so that
     *                     reflection can describe them
     * @param interceptors run for every call, the first one outermost (it sees the call first)
     * @param serviceNames names reported SERVING by gRPC health
     * @param readiness    named readiness checks for {@code /health/ready}, e.g. the database
     * @param httpServices served on the HTTP port beside metrics and health
     */
    static GrpcServer start(String host, int grpcPort, int httpPort, List<BindableService> services,
                            List<ServerInterceptor> interceptors, List<String> serviceNames,
                            Map<String, BooleanSupplier> readiness, List<HttpService> httpServices) {
        return start(host, grpcPort, httpPort, Optional.empty(), services, interceptors, serviceNames, readiness,
                httpServices);
    }

    /** As above, over TLS when {@code credentials} are given (else plaintext). */
    static GrpcServer start(String host, int grpcPort, int httpPort, Optional<ServerCredentials> credentials,
                            List<BindableService> services, List<ServerInterceptor> interceptors,
                            List<String> serviceNames, Map<String, BooleanSupplier> readiness,
                            List<HttpService> httpServices) {
        HealthStatusManager grpcHealth = new HealthStatusManager();
        // Calls block on JDBC: a virtual thread each keeps Netty's event loops free without sizing a pool.
        // Nothing CPU-bound runs on them for long: Argon2id runs on its own bounded pool of platform
        // threads (BoundedPasswordHasher), because a virtual thread computing holds its carrier.
        ExecutorService callExecutor = Executors.newThreadPerTaskExecutor(
                Thread.ofVirtual().name("grpc-call-", 0).factory());
        InetSocketAddress address = new InetSocketAddress(host, grpcPort);
        NettyServerBuilder builder = (credentials.isPresent()
                ? NettyServerBuilder.forAddress(address, credentials.get())
                : NettyServerBuilder.forAddress(address))
                .executor(callExecutor)
                .maxInboundMessageSize(MAX_INBOUND_MESSAGE_BYTES)
                .maxInboundMetadataSize(MAX_INBOUND_METADATA_BYTES)
                .keepAliveTime(KEEPALIVE_TIME.toMillis(), TimeUnit.MILLISECONDS)
                .keepAliveTimeout(KEEPALIVE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                .permitKeepAliveTime(PERMIT_KEEPALIVE_TIME.toMillis(), TimeUnit.MILLISECONDS)
                .permitKeepAliveWithoutCalls(true)
                .addService(grpcHealth.getHealthService())
                .addService(ProtoReflectionServiceV1.newInstance())
                // v1alpha too: grpcurl before 1.9, grpcio-reflection and older tools only speak it.
                .addService(ProtoReflectionService.newInstance());
        services.forEach(builder::addService);
        // grpc-java runs server-wide interceptors in the reverse order of registration.
        interceptors.reversed().forEach(builder::intercept);
        Server grpc;
        try {
            grpc = builder.build().start();
        } catch (IOException e) {
            callExecutor.shutdownNow();
            throw new UncheckedIOException("cannot listen for gRPC on " + host + ":" + grpcPort, e);
        }
        WebServer http;
        try {
            http = WebServer.builder()
                    .host(host)
                    .port(httpPort)
                    .routing(routing -> httpServices.forEach(routing::register))
                    .addFeature(ObserveFeature.builder()
                            .addObserver(MetricsObserver.builder().endpoint("/metrics").build())
                            .addObserver(healthObserver(readiness))
                            .build())
                    .build()
                    .start();
        } catch (RuntimeException e) {
            grpc.shutdownNow();
            callExecutor.shutdownNow();
            throw e;
        }
        grpcHealth.setStatus("", ServingStatus.SERVING);
        serviceNames.forEach(name -> grpcHealth.setStatus(name, ServingStatus.SERVING));
        return new GrpcServer(grpc, http, grpcHealth, callExecutor);
    }

    private static HealthObserver healthObserver(Map<String, BooleanSupplier> readiness) {
        HealthObserverConfig.Builder health = HealthObserver.builder().endpoint("/health").details(true);
        readiness.forEach((name, check) -> health.addCheck(() -> HealthCheckResponse.builder()
                .status(check.getAsBoolean() ? HealthCheckResponse.Status.UP : HealthCheckResponse.Status.DOWN)
                .build(), HealthCheckType.READINESS, name));
        return health.build();
    }

    int grpcPort() {
        return grpc.getPort();
    }

    int httpPort() {
        return http.port();
    }

    /**
     * Drains: reports NOT_SERVING to health checkers, stops accepting new calls (clients get GOAWAY and
     * move on), lets calls in flight finish for up to {@link #DRAIN_GRACE}, then cancels the rest.
     */
    void stop() {
        grpcHealth.enterTerminalState();
        grpc.shutdown();
        try {
            if (!grpc.awaitTermination(DRAIN_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warning(() -> "gRPC calls still running after " + DRAIN_GRACE.toSeconds() + " s; cancelling them");
                grpc.shutdownNow();
                grpc.awaitTermination(DRAIN_GRACE.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            grpc.shutdownNow();
            Thread.currentThread().interrupt();
        } finally {
            callExecutor.shutdownNow();
            http.stop();
        }
    }
}
