package io.userstream.bootstrap;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.userstream.adapters.crypto.Argon2idPasswordHasher;
import io.userstream.adapters.postgres.GroupCommitSettings;
import io.userstream.adapters.postgres.PostgresSettings;
import io.userstream.adapters.postgres.SubscriptionSettings;
import io.userstream.adapters.rabbitmq.RabbitSettings;
import io.userstream.application.port.out.PasswordHasher;
import io.userstream.application.support.BoundedPasswordHasher;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * A real user-service for end-to-end tests: its own schema in the real {@code userstream_test}
 * database (dropped on close), free ports, and a grpc-java channel to it.
 */
final class TestUserService implements AutoCloseable {

    static final String DB_URL = System.getenv().getOrDefault("USERSTREAM_TEST_DB_URL",
            "jdbc:postgresql://127.0.0.1:5432/userstream_test");
    static final String DB_USER = System.getenv().getOrDefault("USERSTREAM_TEST_DB_USER", "postgres");
    static final String ADMIN_TOKEN = "test-admin-token-" + UUID.randomUUID();

    final String schema;
    final UserServiceApp app;
    final ManagedChannel channel;
    private boolean stopped;

    /** The RabbitMQ virtual host tests publish to (created by ops/setup.sh), away from real services' queues. */
    static final RabbitSettings RABBIT = new RabbitSettings("127.0.0.1", 5672, "guest", "guest", "userstream_test",
            Duration.ofSeconds(5));

    /** A user-service without the outbox relay. */
    TestUserService() {
        this(false);
    }

    /** @param relay whether the outbox relay publishes events to {@link #RABBIT} */
    TestUserService(boolean relay) {
        this(relay, "e2e_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12));
    }

    /** The tests' subscriptions: tiny batches and short intervals, so that every path is exercised quickly. */
    static final SubscriptionSettings TEST_SUBSCRIPTIONS = new SubscriptionSettings(100, Duration.ofMillis(200),
            Duration.ofMillis(200), 3, Duration.ofMillis(10), SubscriptionSettings.FailurePolicy.PARK_AND_CONTINUE);

    /** A user-service on an existing schema (e.g. restarted with the relay switched on). */
    TestUserService(boolean relay, String schema) {
        this(schema, TEST_SUBSCRIPTIONS, Duration.ofMillis(200), relay ? Optional.of(RABBIT) : Optional.empty());
    }

    /**
     * A user-service with the given subscriptions, projection-gauge refresh and outbox (e.g. the benchmark's:
     * production subscription settings, its own virtual host).
     */
    TestUserService(String schema, SubscriptionSettings subscriptions, Duration metricsRefresh,
                    Optional<RabbitSettings> outbox) {
        this(schema, subscriptions, metricsRefresh, outbox, TEST_HASHING, new Argon2idPasswordHasher(TEST_ARGON2));
    }

    /** Cheaper Argon2id than production: the tests exercise the flow, not the cost. */
    static final Argon2idPasswordHasher.Parameters TEST_ARGON2 = new Argon2idPasswordHasher.Parameters(1024, 1, 1);

    /**
     * A hashing pool wide enough for the tests' and benchmarks' concurrent registrations (e.g. 8 at once
     * with one e-mail, 16 benchmark threads): they exercise the flow, not the back-pressure, which
     * {@code PasswordHashingBackPressureEndToEndTest} does with limits of its own.
     */
    static final BoundedPasswordHasher.Limits TEST_HASHING = new BoundedPasswordHasher.Limits(2, 64);

    /** A user-service without the outbox relay, whose hashing is {@code hasher} on a pool of {@code hashing}. */
    TestUserService(BoundedPasswordHasher.Limits hashing, PasswordHasher hasher) {
        this("e2e_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12), TEST_SUBSCRIPTIONS,
                Duration.ofMillis(200), Optional.empty(), hashing, hasher);
    }

    /**
     * A user-service with authentication and TLS as {@code security} says, without the outbox relay; its
     * {@link #channel} is plaintext, so with TLS on, tests build channels of their own.
     */
    TestUserService(SecuritySettings security) {
        this("e2e_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12), TEST_SUBSCRIPTIONS,
                Duration.ofMillis(200), Optional.empty(), TEST_HASHING, new Argon2idPasswordHasher(TEST_ARGON2), security);
    }

    private TestUserService(String schema, SubscriptionSettings subscriptions, Duration metricsRefresh,
                            Optional<RabbitSettings> outbox, BoundedPasswordHasher.Limits hashing,
                            PasswordHasher hasher) {
        this(schema, subscriptions, metricsRefresh, outbox, hashing, hasher, SecuritySettings.OFF);
    }

    private TestUserService(String schema, SubscriptionSettings subscriptions, Duration metricsRefresh,
                            Optional<RabbitSettings> outbox, BoundedPasswordHasher.Limits hashing,
                            PasswordHasher hasher, SecuritySettings security) {
        this.schema = schema;
        app = UserServiceApp.start(new UserServiceSettings("127.0.0.1", 0, 0,
                new PostgresSettings(DB_URL, DB_USER, "", schema, 8, Duration.ofSeconds(5)),
                TEST_ARGON2, hashing, Optional.of(ADMIN_TOKEN), subscriptions, metricsRefresh, outbox,
                UserServiceSettings.DEFAULT_RECENT_USERS, security), hasher);
        channel = NettyChannelBuilder.forAddress("127.0.0.1", app.grpcPort()).usePlaintext().build();
    }

    /** Runs SQL in this service's schema. */
    void sql(String statementText) throws SQLException {
        try (Connection connection = DriverManager.getConnection(DB_URL, DB_USER, "");
             Statement statement = connection.createStatement()) {
            connection.setSchema(schema);
            statement.execute(statementText);
        }
    }

    /** Stops the service but keeps its schema. */
    void stop() throws InterruptedException {
        if (stopped) {
            return;
        }
        stopped = true;
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        app.close();
    }

    @Override
    public void close() throws Exception {
        stop();
        dropSchema(schema);
    }

    static void dropSchema(String schema) throws SQLException {
        try (Connection connection = DriverManager.getConnection(DB_URL, DB_USER, "");
             Statement statement = connection.createStatement()) {
            statement.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
        }
    }
}
