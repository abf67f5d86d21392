package io.userstream.adapters.rabbitmq;

import java.time.Duration;
import java.util.Objects;

/**
 * How to reach RabbitMQ.
 *
 * @param host           broker host
 * @param port           AMQP port
 * @param username       user
 * @param password       password
 * @param virtualHost    virtual host
 * @param confirmTimeout how long the publisher waits for the broker to confirm a batch
 * @param quorumQueues   whether user-stats' queues are RabbitMQ quorum queues (the default, and what is
 *                       tested); off only for an AMQP 0-9-1 broker without them (the embedded broker of
 *                       {@code ops/run.sh --embedded}), which gets classic queues instead
 */
public record RabbitSettings(String host, int port, String username, String password, String virtualHost,
                             Duration confirmTimeout, boolean quorumQueues) {

    /** Settings for RabbitMQ itself: quorum queues. */
    public RabbitSettings(String host, int port, String username, String password, String virtualHost,
                          Duration confirmTimeout) {
        this(host, port, username, password, virtualHost, confirmTimeout, true);
    }

    public RabbitSettings {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(username, "username");
        Objects.requireNonNull(password, "password");
        Objects.requireNonNull(virtualHost, "virtualHost");
        Objects.requireNonNull(confirmTimeout, "confirmTimeout");
    }

    @Override
    public String toString() {
        return "RabbitSettings[" + username + "@" + host + ":" + port + virtualHost + "]";
    }
}
