package io.userstream.bootstrap;

import io.helidon.config.Config;
import io.userstream.adapters.postgres.PostgresSettings;
import io.userstream.adapters.rabbitmq.RabbitSettings;

import java.time.Duration;

/** How both services read their database's and their broker's settings from configuration. */
final class ConnectionSettings {

    private ConnectionSettings() {
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

    /**
     * The broker user-service's outbox relay publishes to, under {@code node}: where it is, and how long to wait
     * for the broker's confirms ({@code confirm.timeout}, ms). A publisher declares no queues.
     */
    static RabbitSettings publisher(Config node) {
        return rabbit(node, Duration.ofMillis(node.get("confirm.timeout").asLong().orElse(5000L)), true);
    }

    /**
     * The broker user-stats-service consumes from, under {@code node}: where it is, and whether its queues are
     * quorum queues ({@code quorum}). A consumer waits for no confirms.
     */
    static RabbitSettings consumer(Config node) {
        return rabbit(node, Duration.ofMillis(5000L), node.get("quorum").asBoolean().orElse(true));
    }

    private static RabbitSettings rabbit(Config node, Duration confirmTimeout, boolean quorumQueues) {
        return new RabbitSettings(
                node.get("host").asString().orElse("127.0.0.1"),
                node.get("port").asInt().orElse(5672),
                node.get("user").asString().orElse("guest"),
                node.get("password").asString().orElse("guest"),
                node.get("vhost").asString().orElse("/"),
                confirmTimeout,
                quorumQueues);
    }
}
