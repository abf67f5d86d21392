package io.userstream.bootstrap;

import io.helidon.config.Config;
import io.userstream.adapters.postgres.PostgresSettings;
import io.userstream.adapters.rabbitmq.RabbitSettings;
import io.userstream.adapters.rabbitmq.RabbitUserActivityConsumer.Batching;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Typed settings of user-stats-service (the {@code userstats} section of {@code user-stats-service.yaml},
 * environment overrides {@code USERSTATS_...}).
 *
 * @param host              interface to listen on
 * @param grpcPort          gRPC port (0 picks a free one)
 * @param httpPort          metrics/health port (0 picks a free one)
 * @param postgres          the stats database
 * @param rabbit            the broker the events come from
 * @param maxDeliveries     deliveries of a failing message before it is dead-lettered
 * @param userServiceTarget user-service's gRPC address, {@code host:port}
 * @param directoryDeadline deadline of each call to user-service
 * @param reconcileInterval time between reconciliation sweeps; zero turns them off
 * @param batching          how the consumer groups deliveries into batches (one transaction each) and on how
 *                          many workers; the workers must be fewer than the database pool's connections
 *                          (each holds one while it commits, and the gRPC reads need some too)
 * @param security          profile, authentication and TLS of this service's own API
 * @param userService       how this service authenticates to user-service
 */
record UserStatsServiceSettings(String host, int grpcPort, int httpPort, PostgresSettings postgres, RabbitSettings rabbit,
                                int maxDeliveries, String userServiceTarget, Duration directoryDeadline,
                                Duration reconcileInterval, Batching batching, SecuritySettings security,
                                UserServiceClient userService) {

    /**
     * The credentials user-stats-service presents to user-service ({@code userservice.token},
     * {@code userservice.tls.*}).
     *
     * @param token      a bearer token (a JWT with scope {@code users:read:all}) sent on every call; empty: none
     * @param ca         PEM CA certificates to trust user-service's certificate with; empty: plaintext
     * @param cert       this service's client certificate chain, for mutual TLS (with {@code key})
     * @param key        its private key
     */
    record UserServiceClient(Optional<String> token, Optional<Path> ca, Optional<Path> cert, Optional<Path> key) {

        /** Plaintext, no token: development. */
        static final UserServiceClient PLAIN = new UserServiceClient(Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty());

        UserServiceClient {
            if (cert.isPresent() != key.isPresent()) {
                throw new IllegalArgumentException("userservice.tls.cert and userservice.tls.key go together");
            }
            if (cert.isPresent() && ca.isEmpty()) {
                throw new IllegalArgumentException("userservice.tls.cert needs userservice.tls.ca (TLS) as well");
            }
        }

        @Override
        public String toString() {
            // Never the token itself.
            return "UserServiceClient[token=" + (token.isPresent() ? "set" : "none") + ", ca=" + ca + ", cert="
                    + cert + ", key=" + key + "]";
        }
    }

    /** Without authentication or TLS (development). */
    UserStatsServiceSettings(String host, int grpcPort, int httpPort, PostgresSettings postgres, RabbitSettings rabbit,
                             int maxDeliveries, String userServiceTarget, Duration directoryDeadline,
                             Duration reconcileInterval, Batching batching) {
        this(host, grpcPort, httpPort, postgres, rabbit, maxDeliveries, userServiceTarget, directoryDeadline,
                reconcileInterval, batching, SecuritySettings.OFF, UserServiceClient.PLAIN);
    }

    /** The same settings with {@code security} and {@code userService} instead. */
    UserStatsServiceSettings withSecurity(SecuritySettings security, UserServiceClient userService) {
        return new UserStatsServiceSettings(host, grpcPort, httpPort, postgres, rabbit, maxDeliveries,
                userServiceTarget, directoryDeadline, reconcileInterval, batching, security, userService);
    }

    UserStatsServiceSettings {
        if (batching.workers() >= postgres.maxPoolSize()) {
            throw new IllegalArgumentException("userstats.consumer.workers (USERSTATS_CONSUMER_WORKERS) is "
                    + batching.workers() + " but must be less than userstats.db.pool.size (USERSTATS_DB_POOL_SIZE), "
                    + postgres.maxPoolSize() + ": each consumer worker holds a connection while it commits, and"
                    + " reads and repairs need at least one more; lower the workers or enlarge the pool");
        }
    }

    /** With the consumer's default batching. */
    UserStatsServiceSettings(String host, int grpcPort, int httpPort, PostgresSettings postgres, RabbitSettings rabbit,
                             int maxDeliveries, String userServiceTarget, Duration directoryDeadline,
                             Duration reconcileInterval) {
        this(host, grpcPort, httpPort, postgres, rabbit, maxDeliveries, userServiceTarget, directoryDeadline,
                reconcileInterval, Batching.DEFAULT);
    }

    static UserStatsServiceSettings from(Config config) {
        Config root = config.get("userstats");
        return new UserStatsServiceSettings(
                root.get("host").asString().orElse("127.0.0.1"),
                root.get("grpc.port").asInt().orElse(9190),
                root.get("http.port").asInt().orElse(9191),
                ConnectionSettings.postgres(root.get("db"), "jdbc:postgresql://127.0.0.1:5432/userstream_stats", 8),
                ConnectionSettings.consumer(root.get("rabbitmq")),
                root.get("consumer.deliveries").asInt().orElse(5),
                root.get("userservice.target").asString().orElse("127.0.0.1:9090"),
                Duration.ofMillis(root.get("userservice.deadline").asLong().orElse(2000L)),
                Duration.ofMillis(root.get("reconcile.interval").asLong().orElse(0L)),
                batching(root.get("consumer")),
                SecuritySettings.from(root),
                new UserServiceClient(SecuritySettings.text(root.get("userservice.token")),
                        SecuritySettings.path(root.get("userservice.tls.ca")),
                        SecuritySettings.path(root.get("userservice.tls.cert")),
                        SecuritySettings.path(root.get("userservice.tls.key"))));
    }

    /**
     * {@code consumer.batch}, {@code consumer.workers}, {@code consumer.prefetch} (default: twice the batch per
     * worker, at most 65,535) and {@code consumer.linger} (ms).
     */
    private static Batching batching(Config consumer) {
        int batch = consumer.get("batch").asInt().orElse(Batching.DEFAULT.maxBatch());
        int workers = consumer.get("workers").asInt().orElse(Batching.DEFAULT.workers());
        return new Batching(batch, consumer.get("prefetch").asInt().orElse(Batching.defaultPrefetch(batch, workers)),
                Duration.ofMillis(consumer.get("linger").asLong().orElse(Batching.DEFAULT.linger().toMillis())),
                workers);
    }
}
