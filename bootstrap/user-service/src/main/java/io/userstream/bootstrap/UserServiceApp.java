package io.userstream.bootstrap;

import io.grpc.ServerInterceptor;
import io.helidon.metrics.api.MeterRegistry;
import io.helidon.service.registry.Services;
import io.userstream.adapters.crypto.Argon2idPasswordHasher;
import io.userstream.adapters.grpc.AdminAuthorization;
import io.userstream.adapters.grpc.CallMetadata;
import io.userstream.adapters.grpc.LegacyMigrationGrpcService;
import io.userstream.adapters.grpc.ProjectionAdminGrpcService;
import io.userstream.adapters.grpc.UserGrpcService;
import io.userstream.adapters.grpc.auth.ApiAccess;
import io.userstream.adapters.grpc.auth.Authentication;
import io.userstream.adapters.metrics.MeteredIntegrationEventPublisher;
import io.userstream.adapters.metrics.MeteredUserEventStore;
import io.userstream.adapters.metrics.MeteredUserQueries;
import io.userstream.adapters.metrics.PasswordHashingMetrics;
import io.userstream.adapters.metrics.ProjectionMetrics;
import io.userstream.adapters.postgres.PostgresAuditTrail;
import io.userstream.adapters.postgres.PostgresDatabase;
import io.userstream.adapters.postgres.PostgresLegacyImportLedger;
import io.userstream.adapters.postgres.PostgresProjections;
import io.userstream.adapters.postgres.PostgresUserEventStore;
import io.userstream.adapters.postgres.PostgresUserReadModel;
import io.userstream.adapters.postgres.ReservationKeys;
import io.userstream.adapters.rabbitmq.RabbitIntegrationEventPublisher;
import io.userstream.application.port.out.PasswordHasher;
import io.userstream.application.port.out.TimeSource;
import io.userstream.application.port.out.UserEventStore;
import io.userstream.application.service.LegacyImportService;
import io.userstream.application.service.PasswordVerificationService;
import io.userstream.application.service.ProjectionAdminService;
import io.userstream.application.service.UserCommandService;
import io.userstream.application.service.UserQueryService;
import io.userstream.application.support.AttemptLimiter;
import io.userstream.application.support.BoundedPasswordHasher;
import io.userstream.application.support.RecentUsers;
import io.userstream.application.support.UuidV7Generator;
import io.userstream.proto.user.v1.UserServiceGrpc;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * A running user-service: the database pool, the projections (read model and, when configured, the
 * outbox relay to RabbitMQ) and the gRPC/metrics server.
 */
final class UserServiceApp implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(UserServiceApp.class.getName());

    private final PostgresDatabase database;
    private final GrpcServer server;
    private final PostgresProjections projections;
    private final ProjectionMetrics projectionMetrics;
    private final Optional<RabbitIntegrationEventPublisher> publisher;
    private final BoundedPasswordHasher hashing;
    private final PostgresUserEventStore events;

    private UserServiceApp(PostgresDatabase database, GrpcServer server, PostgresProjections projections,
                           ProjectionMetrics projectionMetrics, Optional<RabbitIntegrationEventPublisher> publisher,
                           BoundedPasswordHasher hashing, PostgresUserEventStore events) {
        this.database = database;
        this.events = events;
        this.server = server;
        this.projections = projections;
        this.projectionMetrics = projectionMetrics;
        this.publisher = publisher;
        this.hashing = hashing;
    }

    /** Wires and starts everything; fails fast (and releases what it opened) if the database is unreachable. */
    static UserServiceApp start(UserServiceSettings settings) {
        return start(settings, new Argon2idPasswordHasher(settings.passwordCost()));
    }

    /**
     * As {@link #start(UserServiceSettings)}, with {@code passwordHasher} doing the hashing (tests put one
     * there that they control); it runs on the bounded hashing pool of {@code settings.hashing()} all the same.
     */
    static UserServiceApp start(UserServiceSettings settings, PasswordHasher passwordHasher) {
        settings.security().checkAndLog("user-service");
        if (settings.reservationKey().isEmpty()) {
            if (settings.security().profile() == SecuritySettings.Profile.PRODUCTION) {
                throw new IllegalStateException("user-service refuses to start: profile 'production' needs"
                        + " reservations.key (USERSTREAM_RESERVATIONS_KEY, base64 of 32 random bytes); the development"
                        + " key is public");
            }
            LOG.warning("reserved e-mail addresses are hashed with the public development key: set"
                    + " USERSTREAM_RESERVATIONS_KEY before storing real users");
        }
        if (settings.masterKey().isEmpty()) {
            LOG.warning("users' data keys are stored unwrapped: a copy of the database holds what opens their"
                    + " personal data; set USERSTREAM_CRYPTO_MASTERKEY to wrap them");
        }
        // Built before anything is opened: unreadable keys stop the start here.
        Optional<Authentication> authentication = settings.security().authentication(ApiAccess.userService());
        PostgresDatabase database = PostgresDatabase.open(settings.postgres());
        // Before any store or projection is made: they read how data keys are stored from the database.
        settings.masterKey().ifPresent(database::useMasterKey);
        // Argon2id runs on a bounded pool of its own threads: a flood of CreateUser or ChangePassword
        // calls gets RESOURCE_EXHAUSTED instead of every core and a 19 MiB block per call.
        BoundedPasswordHasher hashing = new BoundedPasswordHasher(passwordHasher, settings.hashing());
        try {
            MeterRegistry meters = Services.get(MeterRegistry.class);
            PostgresUserEventStore store = new PostgresUserEventStore(database,
                    settings.reservationKey().orElse(ReservationKeys.DEVELOPMENT), settings.groupCommit());
            // Reservations written before e-mail addresses were stored hashed: hashed now, once.
            int hashed = store.hashPlaintextReservations();
            if (hashed > 0) {
                LOG.info(() -> "stored " + hashed + " e-mail reservations as keyed hashes instead of plaintext");
            }
            UserEventStore eventStore = new MeteredUserEventStore(store, meters);
            MeteredUserEventStore.registerGroupCommit(meters, store::groupCommits, store::groupCommittedAppends);
            // PostgreSQL keeps microseconds: a clock at that precision makes what a command returns
            // equal to what a later read of the same user returns.
            TimeSource clock = () -> Instant.now().truncatedTo(ChronoUnit.MICROS);
            PasswordHashingMetrics.register(hashing, meters);
            UserCommandService commands = new UserCommandService(eventStore, hashing, clock, new UuidV7Generator(),
                    new RecentUsers(settings.recentUsers()));
            MeteredUserQueries queries = new MeteredUserQueries(new UserQueryService(
                    new PostgresUserReadModel(database.dbClient()), new PostgresAuditTrail(database),
                    eventStore, clock), meters);
            PasswordVerificationService verification = new PasswordVerificationService(eventStore, hashing, commands,
                    new AttemptLimiter(settings.passwordChecks().perAccount(), clock),
                    new AttemptLimiter(settings.passwordChecks().perCaller(), clock));
            UserGrpcService userService = new UserGrpcService(new UserGrpcService.UseCases(
                    commands, commands, commands, commands, commands, commands, commands,
                    queries, queries, queries, queries, queries, queries, verification, commands));

            ProjectionMetrics projectionMetrics = new ProjectionMetrics(meters);
            Optional<RabbitIntegrationEventPublisher> publisher = settings.outbox().map(RabbitIntegrationEventPublisher::new);
            PostgresProjections projections = publisher
                    .map(rabbit -> PostgresProjections.forUserService(database, settings.subscriptions(),
                            projectionMetrics, new MeteredIntegrationEventPublisher(rabbit, meters)))
                    .orElseGet(() -> PostgresProjections.forUserService(database,
                            settings.subscriptions(), projectionMetrics));
            projectionMetrics.watch(projections, settings.metricsRefresh())
                    .alsoAs("outbox_relay", "outbox_pending_events", "outbox_lag_seconds");
            ProjectionAdminGrpcService adminService = new ProjectionAdminGrpcService(new ProjectionAdminService(projections));
            // Imports hash nothing: the hasher is only asked whether it knows a carried-over hash's scheme.
            LegacyMigrationGrpcService migrationService = new LegacyMigrationGrpcService(new LegacyImportService(
                    eventStore, new PostgresLegacyImportLedger(database.dbClient()), hashing, clock,
                    new UuidV7Generator()));

            // With authentication on, every RPC has its rule (the admin API needs users:admin) and the actor is
            // the token's subject, so CallMetadata runs after it; off, only the admin API is guarded, by its token.
            List<ServerInterceptor> interceptors = authentication
                    .<List<ServerInterceptor>>map(auth -> List.of(auth, new CallMetadata()))
                    .orElseGet(() -> List.of(new CallMetadata(),
                            new AdminAuthorization(settings.adminToken(), ProjectionAdminGrpcService.SERVICE_NAME,
                                    LegacyMigrationGrpcService.SERVICE_NAME)));
            GrpcServer server = GrpcServer.start(settings.host(), settings.grpcPort(), settings.httpPort(),
                    settings.security().serverCredentials(), List.of(userService, adminService, migrationService), interceptors,
                    List.of(UserServiceGrpc.SERVICE_NAME), Map.of("postgresql", database::isReachable), List.of());
            projections.start();
            LOG.info(() -> "user-service started: gRPC on port " + server.grpcPort() + ", metrics and health on port "
                    + server.httpPort() + (publisher.isPresent() ? ", relaying events to RabbitMQ" : ", outbox relay off")
                    + ", password hashing on " + settings.hashing().threads() + " thread(s) with "
                    + settings.hashing().queue() + " waiting at most");
            return new UserServiceApp(database, server, projections, projectionMetrics, publisher, hashing,
                    store);
        } catch (RuntimeException e) {
            hashing.close();
            database.close();
            throw e;
        }
    }

    int grpcPort() {
        return server.grpcPort();
    }

    int httpPort() {
        return server.httpPort();
    }

    /** Stops accepting calls, stops the projections (open batches roll back), then closes the connections. */
    @Override
    public void close() {
        server.stop();
        projections.close();
        projectionMetrics.close();
        publisher.ifPresent(RabbitIntegrationEventPublisher::close);
        hashing.close();
        events.close(); // no call is running any more: nothing is queued for a group commit
        database.close();
        LOG.info("user-service stopped");
    }
}
