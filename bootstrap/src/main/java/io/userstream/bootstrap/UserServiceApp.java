package io.userstream.bootstrap;

import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthProto;
import io.grpc.protobuf.services.HealthStatusManager;
import io.helidon.health.HealthCheckResponse.Status;
import io.helidon.health.HealthCheckType;
import io.helidon.metrics.api.MeterRegistry;
import io.helidon.service.registry.Services;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.grpc.GrpcReflectionFeature;
import io.helidon.webserver.grpc.GrpcRouting;
import io.helidon.webserver.observe.ObserveFeature;
import io.helidon.webserver.observe.health.HealthObserver;
import io.helidon.webserver.observe.metrics.MetricsObserver;
import io.userstream.adapters.crypto.Argon2idPasswordHasher;
import io.userstream.adapters.grpc.AdminAuthorization;
import io.userstream.adapters.grpc.CallMetadata;
import io.userstream.adapters.grpc.ProjectionAdminGrpcService;
import io.userstream.adapters.grpc.UserGrpcService;
import io.userstream.adapters.metrics.MeteredUserEventStore;
import io.userstream.adapters.metrics.MeteredUserQueries;
import io.userstream.adapters.metrics.ProjectionMetrics;
import io.userstream.adapters.postgres.PostgresAuditTrail;
import io.userstream.adapters.postgres.PostgresProjections;
import io.userstream.adapters.postgres.PostgresUserReadModel;
import io.userstream.adapters.postgres.PostgresDatabase;
import io.userstream.adapters.postgres.PostgresUserEventStore;
import io.userstream.application.port.out.TimeSource;
import io.userstream.application.port.out.UserEventStore;
import io.userstream.application.service.ProjectionAdminService;
import io.userstream.application.service.UserCommandService;
import io.userstream.application.service.UserQueryService;
import io.userstream.application.support.UuidV7Generator;
import io.userstream.proto.admin.v1.ProjectionAdminProto;
import io.userstream.proto.user.v1.UserServiceProto;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.logging.Logger;

/**
 * A running user-service: the database pool and one Helidon server with two listeners, gRPC on
 * the default socket and metrics/health on the {@code admin} socket.
 *
 * <p>gRPC lives on the default socket because Helidon 4.4's gRPC reflection only works there.
 */
final class UserServiceApp implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(UserServiceApp.class.getName());
    private static final String ADMIN_SOCKET = "admin";

    private final PostgresDatabase database;
    private final WebServer server;
    private final HealthStatusManager grpcHealth;
    private final PostgresProjections projections;
    private final ProjectionMetrics projectionMetrics;

    private UserServiceApp(PostgresDatabase database, WebServer server, HealthStatusManager grpcHealth,
                           PostgresProjections projections, ProjectionMetrics projectionMetrics) {
        this.database = database;
        this.server = server;
        this.grpcHealth = grpcHealth;
        this.projections = projections;
        this.projectionMetrics = projectionMetrics;
    }

    /** Wires and starts everything; fails fast (and releases what it opened) if the database is unreachable. */
    static UserServiceApp start(UserServiceSettings settings) {
        PostgresDatabase database = PostgresDatabase.open(settings.postgres());
        try {
            MeterRegistry meters = Services.get(MeterRegistry.class);
            UserEventStore eventStore = new MeteredUserEventStore(
                    new PostgresUserEventStore(database.dataSource()), meters);
            // PostgreSQL keeps microseconds: a clock at that precision makes what a command returns
            // equal to what a later read of the same user returns.
            TimeSource clock = () -> Instant.now().truncatedTo(ChronoUnit.MICROS);
            UserCommandService commands = new UserCommandService(eventStore,
                    new Argon2idPasswordHasher(settings.passwordCost()), clock, new UuidV7Generator());
            MeteredUserQueries queries = new MeteredUserQueries(new UserQueryService(
                    new PostgresUserReadModel(database.dataSource()), new PostgresAuditTrail(database.dataSource()),
                    eventStore, clock), meters);
            UserGrpcService userService = new UserGrpcService(new UserGrpcService.UseCases(
                    commands, commands, commands, commands, commands, commands, commands,
                    queries, queries, queries, queries, queries, queries));

            ProjectionMetrics projectionMetrics = new ProjectionMetrics(meters);
            PostgresProjections projections = PostgresProjections.forUserService(database.dataSource(),
                    settings.subscriptions(), projectionMetrics);
            projectionMetrics.watch(projections, settings.metricsRefresh());
            ProjectionAdminGrpcService adminService = new ProjectionAdminGrpcService(new ProjectionAdminService(projections));

            HealthStatusManager grpcHealth = new HealthStatusManager();
            GrpcRouting.Builder grpc = GrpcRouting.builder()
                    .intercept(new CallMetadata())
                    .intercept(new AdminAuthorization(settings.adminToken(), ProjectionAdminGrpcService.SERVICE_NAME))
                    // Registered with their file descriptors so reflection can describe them, not just list them.
                    .service(UserServiceProto.getDescriptor(), userService)
                    .service(ProjectionAdminProto.getDescriptor(), adminService)
                    .service(HealthProto.getDescriptor(), grpcHealth.getHealthService());

            ObserveFeature observe = ObserveFeature.builder()
                    .sockets(List.of(ADMIN_SOCKET))
                    .addObserver(MetricsObserver.builder().endpoint("/metrics").build())
                    .addObserver(HealthObserver.builder()
                            .endpoint("/health")
                            .details(true)
                            .addCheck(() -> io.helidon.health.HealthCheckResponse.builder()
                                    .status(database.isReachable() ? Status.UP : Status.DOWN)
                                    .build(), HealthCheckType.READINESS, "postgresql")
                            .build())
                    .build();

            WebServer server = WebServer.builder()
                    .host(settings.host())
                    .port(settings.grpcPort())
                    .addRouting(grpc)
                    .addFeature(GrpcReflectionFeature.builder().enabled(true).addSocket("@default").build())
                    .addFeature(observe)
                    .putSocket(ADMIN_SOCKET, socket -> socket.host(settings.host()).port(settings.httpPort()))
                    .build()
                    .start();
            projections.start();
            grpcHealth.setStatus("", HealthCheckResponse.ServingStatus.SERVING);
            grpcHealth.setStatus(UserServiceProto.getDescriptor().findServiceByName("UserService").getFullName(),
                    HealthCheckResponse.ServingStatus.SERVING);
            LOG.info(() -> "user-service started: gRPC on port " + server.port() + ", metrics and health on port "
                    + server.port(ADMIN_SOCKET));
            return new UserServiceApp(database, server, grpcHealth, projections, projectionMetrics);
        } catch (RuntimeException e) {
            database.close();
            throw e;
        }
    }

    int grpcPort() {
        return server.port();
    }

    int httpPort() {
        return server.port(ADMIN_SOCKET);
    }

    /** Reports NOT_SERVING, stops accepting calls, stops the projections (their open batches roll back), then closes the pool. */
    @Override
    public void close() {
        grpcHealth.enterTerminalState();
        server.stop();
        projections.close();
        projectionMetrics.close();
        database.close();
        LOG.info("user-service stopped");
    }
}
