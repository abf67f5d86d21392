package io.userstream.bootstrap;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.userstream.adapters.postgres.PostgresSettings;
import io.userstream.adapters.rabbitmq.RabbitSettings;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * A real user-stats-service for end-to-end tests: its own schema in {@code userstream_test}, the
 * {@code userstream_test} RabbitMQ virtual host (its queues purged first), free ports, a channel to it.
 */
final class TestUserStatsService implements AutoCloseable {

    final String schema = "stats_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    final UserStatsServiceApp app;
    final ManagedChannel channel;

    /** @param userServiceTarget where to ask user-service, {@code host:port} */
    TestUserStatsService(String userServiceTarget) {
        this(userServiceTarget, TestUserService.RABBIT);
    }

    /**
     * @param userServiceTarget where to ask user-service, {@code host:port}
     * @param rabbit            the broker and virtual host to consume from (its queues purged first)
     */
    TestUserStatsService(String userServiceTarget, RabbitSettings rabbit) {
        this(userServiceTarget, rabbit, SecuritySettings.OFF, UserStatsServiceSettings.UserServiceClient.PLAIN);
    }

    /**
     * @param security    authentication and TLS of its own API
     * @param userService the credentials it presents to user-service
     */
    TestUserStatsService(String userServiceTarget, RabbitSettings rabbit, SecuritySettings security,
                         UserStatsServiceSettings.UserServiceClient userService) {
        purgeQueues(rabbit);
        app = UserStatsServiceApp.start(new UserStatsServiceSettings("127.0.0.1", 0, 0,
                new PostgresSettings(TestUserService.DB_URL, TestUserService.DB_USER, "", schema, 8, Duration.ofSeconds(5)),
                rabbit, 3, userServiceTarget, Duration.ofSeconds(2), Duration.ZERO).withSecurity(security, userService));
        channel = NettyChannelBuilder.forAddress("127.0.0.1", app.grpcPort()).usePlaintext().build();
        // Consuming means the queue is declared and bound: events published from now on reach it.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!app.isConsuming()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("user-stats-service did not start consuming within 30 s");
            }
            java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
    }

    /** Counts rows of a query in this service's schema. */
    long count(String sql) throws SQLException {
        try (java.sql.Connection connection = java.sql.DriverManager.getConnection(TestUserService.DB_URL,
                TestUserService.DB_USER, "")) {
            connection.setSchema(schema);
            try (Statement statement = connection.createStatement(); ResultSet row = statement.executeQuery(sql)) {
                row.next();
                return row.getLong(1);
            }
        }
    }

    /** A connection to the tests' virtual host, for publishing by hand and inspecting queues. */
    static Connection rabbit() throws Exception {
        return rabbit(TestUserService.RABBIT);
    }

    private static Connection rabbit(RabbitSettings settings) throws Exception {
        ConnectionFactory factory = new ConnectionFactory();
        factory.setHost(settings.host());
        factory.setPort(settings.port());
        factory.setUsername(settings.username());
        factory.setPassword(settings.password());
        factory.setVirtualHost(settings.virtualHost());
        return factory.newConnection("userstream tests");
    }

    /** Leftovers of earlier runs would be consumed by this service: start from empty queues. */
    private static void purgeQueues(RabbitSettings settings) {
        try (Connection connection = rabbit(settings)) {
            for (String queue : new String[] {"user-stats.user-events", "user-stats.user-events.dlq"}) {
                Channel channel = connection.createChannel();
                try {
                    channel.queuePurge(queue);
                    channel.close();
                } catch (java.io.IOException | com.rabbitmq.client.ShutdownSignalException notDeclaredYet) {
                    // A fresh broker: the service declares it; an error closes the channel by itself.
                }
            }
        } catch (Exception e) {
            throw new IllegalStateException("cannot reach RabbitMQ vhost " + settings.virtualHost()
                    + " (run ops/setup.sh)", e);
        }
    }

    @Override
    public void close() throws Exception {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        app.close();
        TestUserService.dropSchema(schema);
    }
}
