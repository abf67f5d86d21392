package io.userstream.adapters.rabbitmq;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.userstream.application.port.out.IntegrationEventPublisher;
import io.userstream.application.port.out.RecordedUserEvent;

import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import java.util.logging.Logger;

/**
 * Publishes user events to the {@code userstream.events} exchange as persistent protobuf messages,
 * with publisher confirms: {@link #publish} returns only when the broker has taken responsibility
 * for every message. On any failure the connection is dropped and rebuilt on the next call (the
 * relay retries with its backoff), so a broker restart costs a few retries, never a message.
 */
public final class RabbitIntegrationEventPublisher implements IntegrationEventPublisher, AutoCloseable {

    private static final Logger LOG = Logger.getLogger(RabbitIntegrationEventPublisher.class.getName());

    private final RabbitSettings settings;
    private final ConnectionFactory factory;
    private Connection connection;
    private Channel channel;

    public RabbitIntegrationEventPublisher(RabbitSettings settings) {
        this.settings = settings;
        this.factory = Connections.factory(settings);
        // We rebuild the connection ourselves after a failure: in-flight confirms cannot survive a recovery anyway.
        this.factory.setAutomaticRecoveryEnabled(false);
    }

    @Override
    public synchronized void publish(List<RecordedUserEvent> events) {
        try {
            Channel open = channel();
            for (RecordedUserEvent event : events) {
                io.userstream.proto.events.v1.UserEvent message = IntegrationEvents.toMessage(event);
                Map<String, Object> headers = new HashMap<>();
                headers.put("correlation_id", event.metadata().correlationId());
                event.metadata().causationId().ifPresent(causation -> headers.put("causation_id", causation));
                AMQP.BasicProperties properties = new AMQP.BasicProperties.Builder()
                        .deliveryMode(2)
                        .messageId(message.getEventId())
                        .type(message.getEventType())
                        .contentType(IntegrationEvents.CONTENT_TYPE)
                        .correlationId(event.metadata().correlationId())
                        .timestamp(java.util.Date.from(event.event().occurredAt()))
                        .headers(headers)
                        .build();
                open.basicPublish(Topology.EXCHANGE, message.getEventType(), properties, message.toByteArray());
            }
            open.waitForConfirmsOrDie(settings.confirmTimeout().toMillis());
        } catch (IOException | TimeoutException | RuntimeException e) {
            closeQuietly();
            throw new IllegalStateException("RabbitMQ did not confirm " + events.size() + " events: " + e, e);
        } catch (InterruptedException e) {
            closeQuietly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for RabbitMQ to confirm", e);
        }
    }

    private Channel channel() throws IOException, TimeoutException {
        if (channel == null || !channel.isOpen()) {
            closeQuietly();
            connection = factory.newConnection("user-service outbox relay");
            channel = connection.createChannel();
            channel.confirmSelect();
            Topology.declareExchange(channel);
            LOG.info(() -> "outbox relay connected to RabbitMQ at " + settings);
        }
        return channel;
    }

    private void closeQuietly() {
        try {
            if (connection != null && connection.isOpen()) {
                connection.close(2000);
            }
        } catch (IOException | RuntimeException ignored) {
            // Already broken; the next publish opens a new one.
        }
        connection = null;
        channel = null;
    }

    @Override
    public synchronized void close() {
        closeQuietly();
    }
}
