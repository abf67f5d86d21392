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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Feeds user-stats from queue {@code user-stats.user-events} in batches, in queue order.
 *
 * <p>Deliveries are collected into a batch (up to {@link Batching#maxBatch}; the broker keeps up to
 * {@link Batching#prefetch} unacknowledged ones on their way) that is flushed when it is full or when no
 * further delivery came within {@link Batching#linger}, so that a lone message waits only that long. A
 * batch is applied by the use case's {@code consumeAll} in one transaction (the event ids in the inbox in
 * the same one) and acknowledged with one multiple ack only after that commit, so a crash before the ack
 * means a redelivery, which the inbox turns into a no-op.
 *
 * <p>A message that cannot be decoded goes to the dead-letter queue at once. If the batch fails for a
 * reason other than the database being unreachable, nothing of it was committed and its messages are
 * consumed again one by one, as they were before batching: the failing one is handed back to the queue,
 * and goes to the dead-letter queue after {@code maxDeliveries}; the others are applied and acknowledged.
 * Passing outages of the database are waited out in place (keeping per-user order) before the whole
 * batch is handed back to the queue; one of user-service (needed only to resync a user) is waited out
 * message by message, so that it holds back only the messages that need it.
 *
 * <p>The connection recovers by itself after a broker restart (amqp-client's automatic recovery,
 * topology included); if the broker is down at start, it keeps trying in the background.
 */
public final class RabbitUserActivityConsumer implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(RabbitUserActivityConsumer.class.getName());
    private static final int TRANSIENT_ATTEMPTS = 5;
    private static final Duration IDLE_POLL = Duration.ofMillis(200);

    /**
     * How deliveries are grouped into batches.
     *
     * @param maxBatch deliveries in a batch at most (at least 1)
     * @param prefetch unacknowledged deliveries the broker may send ahead (at least {@code maxBatch}; twice
     *                 it lets the next batch arrive while one is committed)
     * @param linger   how long a batch that is not full waits for one more delivery before it is flushed
     */
    public record Batching(int maxBatch, int prefetch, Duration linger) {

        /** 500 per batch, 1,000 in flight, 5 ms linger. */
        public static final Batching DEFAULT = new Batching(500, 1000, Duration.ofMillis(5));

        public Batching {
            Objects.requireNonNull(linger, "linger");
            if (maxBatch < 1 || prefetch < maxBatch || prefetch > 65_535 || linger.isNegative()) {
                throw new IllegalArgumentException("batching needs 1 <= maxBatch <= prefetch <= 65535 and a linger"
                        + " >= 0, not maxBatch=" + maxBatch + ", prefetch=" + prefetch + ", linger=" + linger);
            }
        }
    }

    /** A delivery waiting in {@link #received} for the worker, with the channel it came on. */
    private record Received(Channel channel, Delivery delivery) {
        long tag() {
            return delivery.getEnvelope().getDeliveryTag();
        }
    }

    private final RabbitSettings settings;
    private final ConsumeUserActivityUseCase consume;
    private final StatsObserver observer;
    private final int maxDeliveries;
    private final Batching batching;
    private final Topology.StatsNames names;
    private final ConnectionFactory factory;
    private final Thread connector;
    /**
     * The consumer's one worker thread: collects deliveries into batches, commits them and acks them.
     * Not amqp-client's dispatch thread, which only hands deliveries over (see {@link #received}): while
     * the dispatch thread is busy in a callback no further delivery of the channel is dispatched, so a
     * batch could never fill (nor linger) there, and a slow commit would stall the channel's other work.
     * Acks are sent from this thread only, always after the commit they confirm.
     */
    private final Thread worker;
    /** Deliveries handed over by the dispatch thread; at most {@link Batching#prefetch} thanks to the QoS. */
    private final BlockingQueue<Received> received = new LinkedBlockingQueue<>();
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
     * With {@link Batching#DEFAULT}.
     *
     * @param maxDeliveries deliveries of a failing message before it is dead-lettered (at least 1)
     */
    public RabbitUserActivityConsumer(RabbitSettings settings, ConsumeUserActivityUseCase consume,
                                      StatsObserver observer, int maxDeliveries) {
        this(settings, consume, observer, maxDeliveries, Batching.DEFAULT);
    }

    /**
     * @param maxDeliveries deliveries of a failing message before it is dead-lettered (at least 1)
     * @param batching      how deliveries are grouped into batches
     */
    public RabbitUserActivityConsumer(RabbitSettings settings, ConsumeUserActivityUseCase consume,
                                      StatsObserver observer, int maxDeliveries, Batching batching) {
        this(settings, consume, observer, maxDeliveries, batching, Topology.StatsNames.DEFAULT);
    }

    /** On queues of other names: for tests, which own their queues. */
    RabbitUserActivityConsumer(RabbitSettings settings, ConsumeUserActivityUseCase consume, StatsObserver observer,
                               int maxDeliveries, Batching batching, Topology.StatsNames names) {
        this.settings = settings;
        this.consume = consume;
        this.observer = observer;
        this.maxDeliveries = Math.max(1, maxDeliveries);
        this.batching = Objects.requireNonNull(batching, "batching");
        this.names = Objects.requireNonNull(names, "names");
        this.factory = Connections.factory(settings);
        this.factory.setAutomaticRecoveryEnabled(true);
        this.factory.setTopologyRecoveryEnabled(true);
        this.factory.setNetworkRecoveryInterval(1000);
        this.connector = Thread.ofPlatform().daemon().name("user-stats-consumer-connect").unstarted(this::connect);
        this.worker = Thread.ofPlatform().daemon().name("user-stats-consumer").unstarted(this::work);
    }

    /** Connects (in the background until the broker answers), declares the queues and starts consuming. */
    public void start() {
        worker.start();
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
                Topology.declareStatsQueues(channel, settings.quorumQueues(), names);
                channel.basicQos(batching.prefetch());
                // The dispatch thread only hands the delivery over to the worker.
                channel.basicConsume(names.queue(), false, "user-stats",
                        (tag, delivery) -> received.add(new Received(channel, delivery)),
                        tag -> LOG.warning("consumer cancelled: " + tag));
                connection = opened;
                LOG.info(() -> "consuming " + names.queue() + " at " + settings + " in batches of up to "
                        + batching.maxBatch() + " (prefetch " + batching.prefetch() + ", linger "
                        + batching.linger().toMillis() + " ms)");
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

    // ---- the worker ----

    private void work() {
        List<Received> batch = new ArrayList<>(batching.maxBatch());
        while (!closing) {
            try {
                if (!collect(batch)) {
                    continue;
                }
                process(batch);
            } catch (InterruptedException e) {
                return;
            } catch (IOException | RuntimeException e) {
                // Most likely the channel closed under us (a broker restart): whatever was not acked is
                // redelivered after recovery, and the inbox makes what was committed a duplicate.
                LOG.log(Level.WARNING, "could not finish a batch of " + batch.size() + " deliveries; the broker"
                        + " redelivers what was not acknowledged", e);
            } finally {
                batch.clear();
            }
        }
    }

    /**
     * Waits for a first delivery, then takes more until the batch is full or none came within the linger.
     *
     * @return false if nothing arrived for a while (so that the worker looks at {@link #closing})
     */
    private boolean collect(List<Received> batch) throws InterruptedException {
        Received first = received.poll(IDLE_POLL.toNanos(), TimeUnit.NANOSECONDS);
        if (first == null) {
            return false;
        }
        batch.add(first);
        long linger = batching.linger().toNanos();
        while (batch.size() < batching.maxBatch()) {
            received.drainTo(batch, batching.maxBatch() - batch.size());
            if (batch.size() >= batching.maxBatch()) {
                break;
            }
            Received next = received.poll(linger, TimeUnit.NANOSECONDS);
            if (next == null) {
                break;
            }
            batch.add(next);
        }
        return true;
    }

    /** A decoded delivery of the batch. */
    private record Decoded(Received received, UserActivity activity) {
    }

    private void process(List<Received> batch) throws IOException {
        List<Decoded> decoded = new ArrayList<>(batch.size());
        for (Received each : batch) {
            Delivery delivery = each.delivery();
            try {
                decoded.add(new Decoded(each, IntegrationEvents.toActivity(delivery.getBody())));
            } catch (IllegalArgumentException poison) {
                LOG.warning(() -> "dead-lettering undecodable message " + delivery.getProperties().getMessageId()
                        + ": " + poison.getMessage());
                each.channel().basicReject(each.tag(), false);
                observer.deadLettered();
            }
        }
        if (decoded.isEmpty()) {
            return;
        }
        List<UserActivity> activities = decoded.stream().map(Decoded::activity).toList();
        Received last = decoded.getLast().received();
        Duration backoff = Duration.ofMillis(100);
        for (int attempt = 1; ; attempt++) {
            try {
                lastConsumedOccurredAt = activities.getLast().occurredAt();
                // The use case reports each event's result to the observer itself; here only the ack is left.
                consume.consumeAll(activities);
                break;
            } catch (StoreUnavailableException outage) {
                if (attempt >= TRANSIENT_ATTEMPTS) {
                    LOG.warning(() -> "handing a batch of " + activities.size() + " events back to the queue: "
                            + outage.getMessage());
                    // Every earlier delivery is settled already, so this hands back exactly this batch.
                    last.channel().basicNack(last.tag(), true, true);
                    return;
                }
                pause(backoff);
                backoff = backoff.multipliedBy(2);
            } catch (RuntimeException failure) {
                // Nothing of the batch was committed. One by one, as before batching, the failing message
                // is handed back (or dead-lettered after maxDeliveries) and the others are applied.
                if (failure instanceof UserDirectoryUnavailableException) {
                    LOG.fine(() -> "a batch needs user-service, which is unavailable: consuming its "
                            + activities.size() + " events one by one");
                } else {
                    LOG.log(Level.WARNING, "a batch of " + activities.size() + " events failed; consuming them one"
                            + " by one to find the failing one", failure);
                }
                for (Decoded each : decoded) {
                    handle(each.received().channel(), each.received().delivery(), each.activity());
                }
                return;
            }
        }
        // Only after the commit, and for the whole batch at once: every earlier delivery is settled already.
        last.channel().basicAck(last.tag(), true);
        if (!failedDeliveries.isEmpty()) {
            activities.forEach(activity -> failedDeliveries.remove(activity.eventId()));
        }
    }

    /** One message alone, as before batching: the fallback of a batch that failed. */
    private void handle(Channel channel, Delivery delivery, UserActivity activity) throws IOException {
        long tag = delivery.getEnvelope().getDeliveryTag();
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
        try {
            // Let the batch in hand finish (and be acked); what is still buffered is redelivered.
            worker.join(Duration.ofSeconds(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
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
