package io.userstream.bootstrap;

import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthProto;
import io.grpc.protobuf.services.HealthStatusManager;
import io.helidon.health.HealthCheckResponse;
import io.helidon.health.HealthCheckType;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.grpc.GrpcReflectionFeature;
import io.helidon.webserver.grpc.GrpcRouting;
import io.helidon.webserver.observe.ObserveFeature;
import io.helidon.webserver.observe.health.HealthObserver;
import io.helidon.webserver.observe.health.HealthObserverConfig;
import io.helidon.webserver.observe.metrics.MetricsObserver;

import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * The server shape both services share: gRPC (with gRPC health and server reflection) on the
 * default socket, {@code /metrics} and {@code /health} on the {@code admin} socket. gRPC lives on the
 * default socket because Helidon 4.4's gRPC reflection only works there.
 */
final class GrpcServer {

    static final String ADMIN_SOCKET = "admin";

    private final WebServer server;
    private final HealthStatusManager grpcHealth;

    private GrpcServer(WebServer server, HealthStatusManager grpcHealth) {
        this.server = server;
        this.grpcHealth = grpcHealth;
    }

    /**
     * Starts the server and reports SERVING for {@code ""} and every given service name.
     *
     * @param readiness named readiness checks for {@code /health/ready}, e.g. the database
     */
    static GrpcServer start(String host, int grpcPort, int httpPort, GrpcRouting.Builder routing,
                            List<String> serviceNames, Map<String, BooleanSupplier> readiness) {
        HealthStatusManager grpcHealth = new HealthStatusManager();
        routing.service(HealthProto.getDescriptor(), grpcHealth.getHealthService());
        HealthObserverConfig.Builder health = HealthObserver.builder().endpoint("/health").details(true);
        readiness.forEach((name, check) -> health.addCheck(() -> HealthCheckResponse.builder()
                .status(check.getAsBoolean() ? HealthCheckResponse.Status.UP : HealthCheckResponse.Status.DOWN)
                .build(), HealthCheckType.READINESS, name));
        WebServer server = WebServer.builder()
                .host(host)
                .port(grpcPort)
                .addRouting(routing)
                .addFeature(GrpcReflectionFeature.builder().enabled(true).addSocket("@default").build())
                .addFeature(ObserveFeature.builder()
                        .sockets(List.of(ADMIN_SOCKET))
                        .addObserver(MetricsObserver.builder().endpoint("/metrics").build())
                        .addObserver(health.build())
                        .build())
                .putSocket(ADMIN_SOCKET, socket -> socket.host(host).port(httpPort))
                .build()
                .start();
        grpcHealth.setStatus("", ServingStatus.SERVING);
        serviceNames.forEach(name -> grpcHealth.setStatus(name, ServingStatus.SERVING));
        return new GrpcServer(server, grpcHealth);
    }

    int grpcPort() {
        return server.port();
    }

    int httpPort() {
        return server.port(ADMIN_SOCKET);
    }

    /** Reports NOT_SERVING to health checkers, then stops accepting calls. */
    void stop() {
        grpcHealth.enterTerminalState();
        server.stop();
    }
}
