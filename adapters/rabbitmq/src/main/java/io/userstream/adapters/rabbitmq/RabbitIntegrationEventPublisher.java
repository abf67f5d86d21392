package io.userstream.adapters.rabbitmq;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.userstream.application.port.out.IntegrationEventPublisher;
import io.userstream.application.port.out.RecordedUserEvent;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import java.util.logging.Logger;

/**
 * Publishes user events to the {@code userstream.events} exchange as persistent protobuf messages,
 * with publisher confirms. {@link #publishAsync} hands a batch to the broker and returns; the broker's
 * confirms, which come asynchronously and per delivery tag, complete the batch's stage
 * ({@link PendingConfirms}). So the relay can publish its next batch while the broker still writes the
 * previous one to disk (a quorum queue's commit takes up to a few hundred ms on a busy machine), and all of
 * them go out on one channel, in the order of the calls. {@link #publish} waits for that stage.
 *
 * <p>On a failure the connection is dropped and rebuilt on the next call (the relay resumes from its
 * checkpoint), so a broker restart costs a few retries, never a message: every batch still unconfirmed on
 * the lost channel fails.
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
    private Connection connection;
    private Channel channel;
    /** The outstanding batches of {@link #channel}; a new channel gets a new one. */
    private PendingConfirms pending;

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
    public void publish(List<RecordedUserEvent> events) {
        try {
            publishAsync(events).toCompletableFuture().join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException cause ? cause
                    : new IllegalStateException("RabbitMQ did not confirm " + events.size() + " events: " + e.getCause(),
                    e.getCause());
        }
    }

    @Override
    public synchronized CompletionStage<Void> publishAsync(List<RecordedUserEvent> events) {
        if (events.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        List<Outgoing> messages = new ArrayList<>(events.size());
        Set<String> ids = new HashSet<>(events.size() * 2);
        for (RecordedUserEvent event : events) {
            Outgoing message = Outgoing.of(event);
            messages.add(message);
            ids.add(message.properties().getMessageId());
        }
        try {
            Channel open = channel();
            // Registered before the first message goes out: its confirm may arrive before the loop ends.
            CompletableFuture<Void> confirmed = pending.add(open.getNextPublishSeqNo(), messages.size(), Set.copyOf(ids));
            for (Outgoing message : messages) {
                open.basicPublish(exchange, message.routingKey(), true, message.properties(), message.body());
            }
            return confirmed;
        } catch (IOException | TimeoutException | RuntimeException e) {
            // Fails whatever the lost channel still had in flight, this batch included.
            closeQuietly();
            return CompletableFuture.failedFuture(
                    new IllegalStateException("RabbitMQ did not confirm " + events.size() + " events: " + e, e));
        }
    }

    private Channel channel() throws IOException, TimeoutException {
        if (channel == null || !channel.isOpen() || pending.broken()) {
            closeQuietly();
            connection = factory.newConnection("user-service outbox relay");
            channel = connection.createChannel();
            channel.confirmSelect();
            PendingConfirms confirms = new PendingConfirms(settings.confirmTimeout(), exchange);
            channel.addConfirmListener(confirms::acked, confirms::nacked);
            // Sent by the broker before the message's confirm, so its batch knows before it is fully acked.
            channel.addReturnListener(message -> confirms.returned(String.valueOf(message.getProperties().getMessageId())));
            channel.addShutdownListener(confirms::failAll);
            pending = confirms;
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
        if (pending != null) {
            // The shutdown listener has done this unless the close failed; no confirm can come any more.
            pending.failAll(new IOException("the channel to RabbitMQ was closed"));
        }
        connection = null;
        channel = null;
        pending = null;
    }

    /** One message as the relay publishes it: routing key, properties, protobuf body. */
    private record Outgoing(String routingKey, AMQP.BasicProperties properties, byte[] body) {

        static Outgoing of(RecordedUserEvent event) {
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
            return new Outgoing(message.getEventType(), properties, message.toByteArray());
        }
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
