package io.userstream.adapters.rabbitmq;

import com.rabbitmq.client.ConnectionFactory;

/** One place that turns settings into a connection factory. */
final class Connections {

    private Connections() {
    }

    static ConnectionFactory factory(RabbitSettings settings) {
        ConnectionFactory factory = new ConnectionFactory();
        factory.setHost(settings.host());
        factory.setPort(settings.port());
        factory.setUsername(settings.username());
        factory.setPassword(settings.password());
        factory.setVirtualHost(settings.virtualHost());
        factory.setConnectionTimeout(5000);
        factory.setRequestedHeartbeat(10);
        return factory;
    }
}
