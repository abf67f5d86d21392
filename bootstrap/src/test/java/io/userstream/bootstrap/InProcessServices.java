package io.userstream.bootstrap;

import io.grpc.ManagedChannel;
import io.userstream.adapters.postgres.SubscriptionSettings;
import io.userstream.adapters.rabbitmq.RabbitSettings;

import java.time.Duration;
import java.util.Optional;
import java.util.UUID;

/**
 * The real user-service (projections and outbox relay) and user-stats-service (consumer) in this JVM, for
 * code outside this package (the benchmarks): {@link TestUserService} and {@link TestUserStatsService} with
 * the subscription settings and RabbitMQ virtual host the caller chooses, each on a throw-away schema of
 * {@code userstream_test} that {@link #close()} drops.
 */
public final class InProcessServices implements AutoCloseable {

    private final TestUserService userService;
    private final TestUserStatsService statsService;

    private InProcessServices(TestUserService userService, TestUserStatsService statsService) {
        this.userService = userService;
        this.statsService = statsService;
    }

    /**
     * Starts both services and returns once user-stats-service consumes (events relayed from then on reach it).
     *
     * @param subscriptions  user-service's projections and relay (e.g. {@link SubscriptionSettings#DEFAULTS})
     * @param metricsRefresh how often user-service refreshes its projection gauges from the database
     * @param rabbit         where the relay publishes and the consumer consumes (its queues are purged first)
     * @param schemaPrefix   prefix of both schemas' names
     */
    public static InProcessServices start(SubscriptionSettings subscriptions, Duration metricsRefresh,
                                          RabbitSettings rabbit, String schemaPrefix) {
        TestUserService users = new TestUserService(
                schemaPrefix + UUID.randomUUID().toString().replace("-", "").substring(0, 12), subscriptions,
                metricsRefresh, Optional.of(rabbit));
        try {
            return new InProcessServices(users, new TestUserStatsService("127.0.0.1:" + users.app.grpcPort(), rabbit));
        } catch (RuntimeException e) {
            try {
                users.close();
            } catch (Exception suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /** A plaintext channel to user-service's gRPC port. */
    public ManagedChannel userChannel() {
        return userService.channel;
    }

    /** A plaintext channel to user-stats-service's gRPC port. */
    public ManagedChannel statsChannel() {
        return statsService.channel;
    }

    /** user-service's schema (events, user_read_model, subscriptions, ...). */
    public String userSchema() {
        return userService.schema;
    }

    /** user-stats-service's schema (user_stats, processed_events). */
    public String statsSchema() {
        return statsService.schema;
    }

    /** Stops user-stats-service, then user-service, and drops both schemas. */
    @Override
    public void close() throws Exception {
        try {
            statsService.close();
        } finally {
            userService.close();
        }
    }
}
