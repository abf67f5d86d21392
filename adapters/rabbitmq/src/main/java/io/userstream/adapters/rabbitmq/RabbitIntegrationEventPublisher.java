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
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import java.util.logging.Logger;

/**
 * Publishes user events to the {@code userstream.events} exchange as persistent protobuf messages,
 * with publisher confirms: {@link #publish} returns only when the broker has taken responsibility
 * for every message. On any failure the connection is dropped and rebuilt on the next call (the
 * relay retries with its backoff), so a broker restart costs a few retries, never a message.
 *
 * <p>Messages are published {@code mandatory}: a broker confirms a message that no queue is bound to
 * receive, and drops it. Without the flag the relay's checkpoint would move past events nobody got
 * (e.g. published before user-stats-service first declared its queue). The broker sends such a
 * message back before its confirm, so a batch with a returned message fails and is published again
 * later: the outbox's lag grows, visibly, until a queue is bound.
 */
public final class RabbitIntegrationEventPublisher implements IntegrationEventPublisher, AutoCloseable {

    private static final Logger LOG = Logger.getLogger(RabbitIntegrationEventPublisher.class.getName());

    private final RabbitSettings settings;
    private final String exchange;
    private final ConnectionFactory factory;
    /** Ids of this batch's messages the broker returned as unroutable; written by the connection's thread. */
    private final Set<String> returned = ConcurrentHashMap.newKeySet();
    private Connection connection;
    private Channel channel;

    public RabbitIntegrationEventPublisher(RabbitSettings settings) {
        this(settings, Topology.EXCHANGE);
    }

    /** Publishes to {@code exchange} instead of {@link Topology#EXCHANGE}; for tests that own their exchange. */
    RabbitIntegrationEventPublisher(RabbitSettings settings, String exchange) {
        this.settings = settings;
        this.exchange = exchange;
        this.factory = Connections.factory(settings);
        // We rebuild the connection ourselves after a failure: in-flight confirms cannot survive a recovery anyway.
        this.factory.setAutomaticRecoveryEnabled(false);
    }

    @Override
    public synchronized void publish(List<RecordedUserEvent> events) {
        try {
            Channel open = channel();
            returned.clear();
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
                open.basicPublish(exchange, message.getEventType(), true, properties, message.toByteArray());
            }
            open.waitForConfirmsOrDie(settings.confirmTimeout().toMillis());
            if (!returned.isEmpty()) {
                throw new UnroutableException("RabbitMQ returned " + returned.size() + " of " + events.size()
                        + " events as unroutable: no queue is bound to exchange " + exchange + " for their routing keys"
                        + " (start user-stats-service, or bind a queue); the batch is published again later");
            }
        } catch (UnroutableException e) {
            // The channel is fine; nothing to rebuild.
            throw e;
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
            // Sent by the broker before the message's confirm, so it is in the set when waitForConfirms returns.
            channel.addReturnListener(message -> returned.add(String.valueOf(message.getProperties().getMessageId())));
            if (exchange.equals(Topology.EXCHANGE)) {
                Topology.declareExchange(channel);
            }
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

    /** The broker could route some messages of the batch to no queue. */
    static final class UnroutableException extends IllegalStateException {
        UnroutableException(String message) {
            super(message);
        }
    }

    @Override
    public synchronized void close() {
        closeQuietly();
    }
}
