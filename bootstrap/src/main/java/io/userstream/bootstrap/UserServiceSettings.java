package io.userstream.bootstrap;

import io.helidon.config.Config;
import io.userstream.adapters.crypto.Argon2idPasswordHasher;
import io.userstream.adapters.postgres.PostgresSettings;
import io.userstream.adapters.postgres.SubscriptionSettings;
import io.userstream.adapters.rabbitmq.RabbitSettings;
import io.userstream.application.support.BoundedPasswordHasher;

import java.time.Duration;
import java.util.Locale;
import java.util.Optional;

/**
 * Typed settings of user-service, read once from configuration ({@code application.yaml} plus
 * environment overrides) so that no adapter ever reads configuration itself.
 *
 * @param host          interface to listen on
 * @param grpcPort      gRPC port (0 picks a free one)
 * @param httpPort      metrics/health port (0 picks a free one)
 * @param postgres      database connection
 * @param passwordCost  Argon2id cost parameters
 * @param hashing       how many password hashes run at once and how many calls may wait for one
 * @param adminToken    bearer token of the admin API; empty disables it (there is no default)
 * @param subscriptions how projections read the log and recover
 * @param metricsRefresh how often projection gauges are refreshed from the database
 * @param outbox        where the outbox relay publishes; empty turns the relay off
 * @param recentUsers   how many recently written users the command side remembers, so that a command on
 *                      one of them skips loading its stream (see {@code RecentUsers}); 0 remembers none
 */
record UserServiceSettings(String host, int grpcPort, int httpPort, PostgresSettings postgres,
                           Argon2idPasswordHasher.Parameters passwordCost, BoundedPasswordHasher.Limits hashing,
                           Optional<String> adminToken,
                           SubscriptionSettings subscriptions, Duration metricsRefresh,
                           Optional<RabbitSettings> outbox, int recentUsers) {

    /** Users remembered by default: a few MiB of aggregates. */
    static final int DEFAULT_RECENT_USERS = 10_000;

    static UserServiceSettings from(Config config) {
        Config root = config.get("userstream");
        Config hashing = root.get("argon2");
        Config projections = root.get("projections");
        SubscriptionSettings defaults = SubscriptionSettings.DEFAULTS;
        return new UserServiceSettings(
                root.get("host").asString().orElse("0.0.0.0"),
                root.get("grpc.port").asInt().orElse(9090),
                root.get("http.port").asInt().orElse(9091),
                postgres(root.get("db"), "jdbc:postgresql://127.0.0.1:5432/userstream_users", 16),
                new Argon2idPasswordHasher.Parameters(
                        hashing.get("memory").asInt().orElse(Argon2idPasswordHasher.OWASP.memoryKiB()),
                        hashing.get("iterations").asInt().orElse(Argon2idPasswordHasher.OWASP.iterations()),
                        hashing.get("parallelism").asInt().orElse(Argon2idPasswordHasher.OWASP.parallelism())),
                hashingLimits(hashing),
                root.get("admin.token").asString().asOptional().filter(token -> !token.isBlank()),
                new SubscriptionSettings(
                        projections.get("batch").asInt().orElse(defaults.batchSize()),
                        Duration.ofMillis(projections.get("poll").asLong().orElse(defaults.pollInterval().toMillis())),
                        Duration.ofMillis(projections.get("takeover").asLong()
                                .orElse(defaults.takeoverInterval().toMillis())),
                        projections.get("attempts").asInt().orElse(defaults.maxAttempts()),
                        Duration.ofMillis(projections.get("backoff").asLong().orElse(defaults.retryBackoff().toMillis())),
                        SubscriptionSettings.FailurePolicy.valueOf(projections.get("policy").asString()
                                .orElse(defaults.onFailure().name()).toUpperCase(Locale.ROOT)),
                        projections.get("inflight").asInt().orElse(defaults.maxInFlight())),
                Duration.ofMillis(root.get("metrics.refresh").asLong().orElse(5000L)),
                root.get("outbox.enabled").asBoolean().orElse(true)
                        ? Optional.of(rabbit(root.get("rabbitmq"))) : Optional.empty(),
                root.get("commands.cache").asInt().orElse(DEFAULT_RECENT_USERS));
    }

    /**
     * The password hashing pool under {@code argon2}: {@code threads} defaults to one fewer than the
     * available processors (at least 1), {@code queue} to twice the threads.
     */
    static BoundedPasswordHasher.Limits hashingLimits(Config argon2) {
        int threads = argon2.get("threads").asInt().orElse(BoundedPasswordHasher.Limits.defaults().threads());
        return new BoundedPasswordHasher.Limits(threads, argon2.get("queue").asInt().orElse(2 * threads));
    }

    /** Database settings under {@code node}, shared by both services' configuration. */
    static PostgresSettings postgres(Config node, String defaultUrl, int defaultPoolSize) {
        return new PostgresSettings(
                node.get("url").asString().orElse(defaultUrl),
                node.get("user").asString().orElse("postgres"),
                node.get("password").asString().orElse(""),
                node.get("schema").asString().orElse("public"),
                node.get("pool.size").asInt().orElse(defaultPoolSize),
                Duration.ofSeconds(node.get("timeout").asInt().orElse(5)));
    }

    /** RabbitMQ settings under {@code node}, shared by both services' configuration. */
    static RabbitSettings rabbit(Config node) {
        return new RabbitSettings(
                node.get("host").asString().orElse("127.0.0.1"),
                node.get("port").asInt().orElse(5672),
                node.get("user").asString().orElse("guest"),
                node.get("password").asString().orElse("guest"),
                node.get("vhost").asString().orElse("/"),
                Duration.ofMillis(node.get("confirm.timeout").asLong().orElse(5000L)),
                node.get("quorum").asBoolean().orElse(true));
    }
}
