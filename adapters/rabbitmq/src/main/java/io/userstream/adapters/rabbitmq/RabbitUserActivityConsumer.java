package io.userstream.adapters.rabbitmq;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.Delivery;
import io.userstream.application.port.in.ConsumeUserActivityUseCase;
import io.userstream.application.port.out.StatsObserver;
import io.userstream.application.port.out.StoreUnavailableException;
import io.userstream.application.port.out.UserDirectoryUnavailableException;
import io.userstream.domain.stats.UserActivity;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Feeds user-stats from queue {@code user-stats.user-events}, one message at a time in queue order.
 *
 * <p>A message is acknowledged only after the use case committed its effect (and the event id in
 * the inbox, in the same transaction), so a crash before the ack means a redelivery, which the inbox
 * turns into a no-op. A message that cannot be decoded goes to the dead-letter queue at once; one
 * that keeps failing goes there after {@code maxDeliveries}; the consumer goes on with the next.
 * Passing outages of user-service or the database are waited out in place (keeping per-user order)
 * before the message is handed back to the queue.
 *
 * <p>The connection recovers by itself after a broker restart (amqp-client's automatic recovery,
 * topology included); if the broker is down at start, it keeps trying in the background.
 */
public final class RabbitUserActivityConsumer implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(RabbitUserActivityConsumer.class.getName());
    private static final int TRANSIENT_ATTEMPTS = 5;
    private static final int PREFETCH = 50;

    private final RabbitSettings settings;
    private final ConsumeUserActivityUseCase consume;
    private final StatsObserver observer;
    private final int maxDeliveries;
    private final ConnectionFactory factory;
    private final Thread connector;
    private volatile boolean closing;
    private volatile Connection connection;
    private volatile Instant lastConsumedOccurredAt;
    /**
     * Failed deliveries seen here, per event: the count where the broker gives none (a classic queue has no
     * {@code x-delivery-count}), so that a failing message still stops after {@code maxDeliveries}.
     * Holds only events that failed and were neither consumed nor dead-lettered since.
     */
    private final Map<UUID, Long> failedDeliveries = new ConcurrentHashMap<>();

    /**
     * @param maxDeliveries deliveries of a failing message before it is dead-lettered (at least 1)
     */
    public RabbitUserActivityConsumer(RabbitSettings settings, ConsumeUserActivityUseCase consume,
                                      StatsObserver observer, int maxDeliveries) {
        this.settings = settings;
        this.consume = consume;
        this.observer = observer;
        this.maxDeliveries = Math.max(1, maxDeliveries);
        this.factory = Connections.factory(settings);
        this.factory.setAutomaticRecoveryEnabled(true);
        this.factory.setTopologyRecoveryEnabled(true);
        this.factory.setNetworkRecoveryInterval(1000);
        this.connector = Thread.ofPlatform().daemon().name("user-stats-consumer-connect").unstarted(this::connect);
    }

    /** Connects (in the background until the broker answers), declares the queues and starts consuming. */
    public void start() {
        connector.start();
    }

    /** Whether the consumer is connected and consuming now. */
    public boolean isConsuming() {
        Connection current = connection;
        return current != null && current.isOpen();
    }

    /** When the last consumed event happened, for the consumer-lag gauge. */
    public Optional<Instant> lastConsumedOccurredAt() {
        return Optional.ofNullable(lastConsumedOccurredAt);
    }

    private void connect() {
        Duration pause = Duration.ofMillis(200);
        while (!closing) {
            try {
                Connection opened = factory.newConnection("user-stats-service consumer");
                Channel channel = opened.createChannel();
                Topology.declareStatsQueues(channel, settings.quorumQueues());
                channel.basicQos(PREFETCH);
                channel.basicConsume(Topology.STATS_QUEUE, false, "user-stats",
                        (tag, delivery) -> handle(channel, delivery), tag -> LOG.warning("consumer cancelled: " + tag));
                connection = opened;
                LOG.info(() -> "consuming " + Topology.STATS_QUEUE + " at " + settings);
                return;
            } catch (IOException | TimeoutException | RuntimeException e) {
                LOG.log(Level.WARNING, "cannot reach RabbitMQ at " + settings + " yet; retrying in " + pause.toMillis()
                        + " ms: " + e);
                try {
                    Thread.sleep(pause);
                } catch (InterruptedException interrupted) {
                    return;
                }
                pause = pause.multipliedBy(2).compareTo(Duration.ofSeconds(5)) > 0 ? Duration.ofSeconds(5) : pause.multipliedBy(2);
            }
        }
    }

    private void handle(Channel channel, Delivery delivery) throws IOException {
        long tag = delivery.getEnvelope().getDeliveryTag();
        UserActivity activity;
        try {
            activity = IntegrationEvents.toActivity(delivery.getBody());
        } catch (IllegalArgumentException poison) {
            LOG.warning(() -> "dead-lettering undecodable message " + delivery.getProperties().getMessageId() + ": "
                    + poison.getMessage());
            channel.basicReject(tag, false);
            observer.deadLettered();
            return;
        }
        Duration backoff = Duration.ofMillis(100);
        for (int attempt = 1; ; attempt++) {
            try {
                lastConsumedOccurredAt = activity.occurredAt();
                // The use case reports its result to the observer itself; here only the ack is left.
                consume.consume(activity);
                channel.basicAck(tag, false);
                if (!failedDeliveries.isEmpty()) {
                    failedDeliveries.remove(activity.eventId());
                }
                return;
            } catch (UserDirectoryUnavailableException | StoreUnavailableException outage) {
                if (attempt >= TRANSIENT_ATTEMPTS) {
                    LOG.warning(() -> "handing event " + activity.eventId() + " back to the queue: " + outage.getMessage());
                    channel.basicNack(tag, false, true);
                    return;
                }
                pause(backoff);
                backoff = backoff.multipliedBy(2);
            } catch (RuntimeException failure) {
                long deliveries = Math.max(previousDeliveries(delivery),
                        failedDeliveries.getOrDefault(activity.eventId(), 0L)) + 1;
                if (deliveries >= maxDeliveries) {
                    failedDeliveries.remove(activity.eventId());
                    LOG.log(Level.SEVERE, "dead-lettering event " + activity.eventId() + " after " + deliveries
                            + " deliveries", failure);
                    channel.basicReject(tag, false);
                    observer.deadLettered();
                } else {
                    failedDeliveries.put(activity.eventId(), deliveries);
                    LOG.log(Level.WARNING, "event " + activity.eventId() + " failed (delivery " + deliveries + " of "
                            + maxDeliveries + "); requeued", failure);
                    channel.basicNack(tag, false, true);
                }
                return;
            }
        }
    }

    /** Quorum queues count failed deliveries in {@code x-delivery-count}. */
    private static long previousDeliveries(Delivery delivery) {
        Map<String, Object> headers = delivery.getProperties().getHeaders();
        Object count = headers == null ? null : headers.get("x-delivery-count");
        return count instanceof Number number ? number.longValue() : 0;
    }

    private static void pause(Duration duration) {
        try {
            Thread.sleep(duration);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        closing = true;
        connector.interrupt();
        Connection current = connection;
        if (current != null) {
            try {
                current.close(5000);
            } catch (IOException | RuntimeException ignored) {
                // Closing anyway.
            }
        }
    }
}
