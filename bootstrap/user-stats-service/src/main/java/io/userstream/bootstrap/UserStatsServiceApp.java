package io.userstream.bootstrap;

import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.ServerInterceptor;
import io.grpc.TlsChannelCredentials;
import io.grpc.stub.MetadataUtils;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.helidon.metrics.api.MeterRegistry;
import io.helidon.service.registry.Services;
import io.userstream.adapters.grpc.CallMetadata;
import io.userstream.adapters.grpc.GrpcUserDirectory;
import io.userstream.adapters.grpc.UserStatsGrpcService;
import io.userstream.adapters.grpc.UserStatsHttpService;
import io.userstream.adapters.grpc.auth.ApiAccess;
import io.userstream.adapters.grpc.auth.Authentication;
import io.userstream.adapters.metrics.StatsMetrics;
import io.userstream.adapters.postgres.PostgresPool;
import io.userstream.adapters.postgres.PostgresUserStatsStore;
import io.userstream.adapters.rabbitmq.RabbitUserActivityConsumer;
import io.userstream.application.service.UserStatsService;
import io.userstream.proto.userstats.v1.UserStatsServiceGrpc;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A running user-stats-service: its database, the RabbitMQ consumer, the gRPC channel to
 * user-service used for repairs, the optional reconciliation sweep, and the gRPC/metrics server.
 */
final class UserStatsServiceApp implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(UserStatsServiceApp.class.getName());

    private final PostgresPool database;
    private final ManagedChannel userService;
    private final RabbitUserActivityConsumer consumer;
    private final GrpcServer server;
    private final Optional<ScheduledExecutorService> sweeper;
    private final UserStatsService stats;

    private UserStatsServiceApp(PostgresPool database, ManagedChannel userService,
                                RabbitUserActivityConsumer consumer, GrpcServer server,
                                Optional<ScheduledExecutorService> sweeper, UserStatsService stats) {
        this.database = database;
        this.userService = userService;
        this.consumer = consumer;
        this.server = server;
        this.sweeper = sweeper;
        this.stats = stats;
    }

    static UserStatsServiceApp start(UserStatsServiceSettings settings) {
        settings.security().checkAndLog("user-stats-service");
        Optional<Authentication> authentication = settings.security().authentication(ApiAccess.statsService());
        ManagedChannel userService = userServiceChannel(settings);
        PostgresPool database;
        try {
            database = PostgresPool.open(settings.postgres(), "classpath:db/migration/stats", "userstream-stats");
        } catch (RuntimeException e) {
            userService.shutdownNow();
            throw e;
        }
        try {
            MeterRegistry meters = Services.get(MeterRegistry.class);
            StatsMetrics metrics = new StatsMetrics(meters);
            UserStatsService stats = new UserStatsService(new PostgresUserStatsStore(database.dbClient()),
                    new GrpcUserDirectory(withToken(userService, settings.userService().token()),
                            settings.directoryDeadline()),
                    () -> Instant.now().truncatedTo(ChronoUnit.MICROS), metrics);
            RabbitUserActivityConsumer consumer = new RabbitUserActivityConsumer(settings.rabbit(), stats, metrics,
                    settings.maxDeliveries(), settings.batching());
            metrics.watchConsumer(consumer::lastConsumedOccurredAt);

            List<ServerInterceptor> interceptors = authentication
                    .<List<ServerInterceptor>>map(auth -> List.of(auth, new CallMetadata()))
                    .orElseGet(() -> List.of(new CallMetadata()));
            GrpcServer server = GrpcServer.start(settings.host(), settings.grpcPort(), settings.httpPort(),
                    settings.security().serverCredentials(), List.of(new UserStatsGrpcService(stats)), interceptors,
                    List.of(UserStatsServiceGrpc.SERVICE_NAME),
                    Map.of("postgresql", database::isReachable, "rabbitmq", consumer::isConsuming),
                    List.of(new UserStatsHttpService(stats, authentication)));
            consumer.start();
            Optional<ScheduledExecutorService> sweeper = Optional.empty();
            if (!settings.reconcileInterval().isZero()) {
                ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(
                        Thread.ofPlatform().daemon().name("user-stats-reconcile").factory());
                long every = settings.reconcileInterval().toMillis();
                scheduler.scheduleWithFixedDelay(() -> sweep(stats), every, every, TimeUnit.MILLISECONDS);
                sweeper = Optional.of(scheduler);
            }
            LOG.info(() -> "user-stats-service started: gRPC on port " + server.grpcPort()
                    + ", metrics and health on port " + server.httpPort() + ", user-service at "
                    + settings.userServiceTarget());
            return new UserStatsServiceApp(database, userService, consumer, server, sweeper, stats);
        } catch (RuntimeException e) {
            userService.shutdownNow();
            database.close();
            throw e;
        }
    }

    /** The channel to user-service: TLS (with this service's certificate for mutual TLS) when configured. */
    private static ManagedChannel userServiceChannel(UserStatsServiceSettings settings) {
        UserStatsServiceSettings.UserServiceClient client = settings.userService();
        if (client.ca().isEmpty()) {
            return NettyChannelBuilder.forTarget(settings.userServiceTarget()).usePlaintext().build();
        }
        try {
            TlsChannelCredentials.Builder tls = TlsChannelCredentials.newBuilder().trustManager(client.ca().get().toFile());
            if (client.cert().isPresent()) {
                tls.keyManager(client.cert().get().toFile(), client.key().orElseThrow().toFile());
            }
            return NettyChannelBuilder.forTarget(settings.userServiceTarget(), tls.build()).build();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the TLS files for user-service (" + client + ")", e);
        }
    }

    /** Sends {@code authorization: Bearer <token>} on every call, when a token is configured. */
    private static Channel withToken(ManagedChannel channel, Optional<String> token) {
        if (token.isEmpty()) {
            return channel;
        }
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token.get());
        return ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers));
    }

    private static void sweep(UserStatsService stats) {
        try {
            int repaired = stats.reconcile();
            if (repaired > 0) {
                LOG.info(() -> "reconciliation sweep created stats for " + repaired + " users");
            }
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "reconciliation sweep failed; the next one retries", e);
        }
    }

    /** Runs one reconciliation sweep now; returns how many stats rows it created. */
    int reconcileNow() {
        return stats.reconcile();
    }

    /** Whether the consumer is connected and consuming (the queues are declared). */
    boolean isConsuming() {
        return consumer.isConsuming();
    }

    int grpcPort() {
        return server.grpcPort();
    }

    int httpPort() {
        return server.httpPort();
    }

    @Override
    public void close() {
        server.stop();
        sweeper.ifPresent(ScheduledExecutorService::shutdownNow);
        consumer.close();
        userService.shutdownNow();
        database.close();
        LOG.info("user-stats-service stopped");
    }
}
