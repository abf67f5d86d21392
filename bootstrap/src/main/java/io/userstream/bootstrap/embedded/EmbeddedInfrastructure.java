package io.userstream.bootstrap.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;

/**
 * The servers userstream needs, run by this JVM for {@code ops/run.sh --embedded}: a real PostgreSQL
 * (child process) and a real AMQP 0-9-1 broker (in process), both on free ports of their own and
 * with their files under one data directory. The services run against them unchanged: the same
 * adapters, migrations and topology code, only pointed elsewhere by {@link #configuration()}.
 */
public final class EmbeddedInfrastructure implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(EmbeddedInfrastructure.class.getName());
    /** user-service's database, the same name as on a real server. */
    public static final String USERS_DATABASE = "userstream_users";
    /** user-stats-service's database. */
    public static final String STATS_DATABASE = "userstream_stats";
    /** The broker's only user, RabbitMQ's default one. */
    public static final String AMQP_USER = "guest";
    public static final String AMQP_PASSWORD = "guest";

    private final Path dataDirectory;
    private final EmbeddedPostgresServer postgres;
    private final EmbeddedAmqpBroker broker;

    private EmbeddedInfrastructure(Path dataDirectory, EmbeddedPostgresServer postgres, EmbeddedAmqpBroker broker) {
        this.dataDirectory = dataDirectory;
        this.postgres = postgres;
        this.broker = broker;
    }

    /**
     * Starts PostgreSQL (data in {@code dataDirectory}/postgres, kept across runs) and the broker
     * (working files in {@code dataDirectory}/broker); a port of 0 picks a free one.
     */
    public static EmbeddedInfrastructure start(Path dataDirectory, int postgresPort, int amqpPort) {
        Path directory = dataDirectory.toAbsolutePath().normalize();
        LOG.info(() -> "starting embedded PostgreSQL and AMQP broker, data under " + directory);
        EmbeddedPostgresServer postgres = EmbeddedPostgresServer.start(directory.resolve("postgres"), postgresPort,
                List.of(USERS_DATABASE, STATS_DATABASE));
        try {
            EmbeddedAmqpBroker broker = EmbeddedAmqpBroker.start(directory.resolve("broker"),
                    amqpPort == 0 ? freePort() : amqpPort, AMQP_USER, AMQP_PASSWORD);
            return new EmbeddedInfrastructure(directory, postgres, broker);
        } catch (RuntimeException e) {
            postgres.close();
            throw e;
        }
    }

    /**
     * Configuration keys (as in {@code user-service.yaml} and {@code user-stats-service.yaml}) that point both services at these servers.
     * Quorum queues are off: the embedded broker has none, so user-stats' queues are classic there.
     */
    public Map<String, String> configuration() {
        return Map.ofEntries(
                Map.entry("userstream.db.url", postgres.jdbcUrl(USERS_DATABASE)),
                Map.entry("userstream.db.user", EmbeddedPostgresServer.USER),
                Map.entry("userstream.db.password", ""),
                Map.entry("userstats.db.url", postgres.jdbcUrl(STATS_DATABASE)),
                Map.entry("userstats.db.user", EmbeddedPostgresServer.USER),
                Map.entry("userstats.db.password", ""),
                Map.entry("userstream.rabbitmq.host", "127.0.0.1"),
                Map.entry("userstream.rabbitmq.port", Integer.toString(broker.port())),
                Map.entry("userstream.rabbitmq.user", AMQP_USER),
                Map.entry("userstream.rabbitmq.password", AMQP_PASSWORD),
                Map.entry("userstream.rabbitmq.vhost", "/"),
                Map.entry("userstats.rabbitmq.host", "127.0.0.1"),
                Map.entry("userstats.rabbitmq.port", Integer.toString(broker.port())),
                Map.entry("userstats.rabbitmq.user", AMQP_USER),
                Map.entry("userstats.rabbitmq.password", AMQP_PASSWORD),
                Map.entry("userstats.rabbitmq.vhost", "/"),
                Map.entry("userstats.rabbitmq.quorum", "false"));
    }

    public EmbeddedPostgresServer postgres() {
        return postgres;
    }

    public EmbeddedAmqpBroker broker() {
        return broker;
    }

    /** Where PostgreSQL's cluster and the broker's working files live. */
    public Path dataDirectory() {
        return dataDirectory;
    }

    /** Stops the broker, then PostgreSQL (the reverse of the start). */
    @Override
    public void close() {
        try {
            broker.close();
        } finally {
            postgres.close();
        }
    }

    /** A port nothing listens on right now on localhost (for a server that binds it a moment later). */
    public static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot find a free port", e);
        }
    }
}
