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
 */
public record RabbitSettings(String host, int port, String username, String password, String virtualHost,
                             Duration confirmTimeout) {
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
