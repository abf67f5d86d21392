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
 * Feeds user-stats from queue {@code user-stats.user-events} in batches, on several workers, each user's
 * events in queue order.
 *
 * <p>amqp-client's dispatch thread decodes each delivery and hands it to the worker of its user
 * ({@link WorkerOfUser}: always the same one for a user, so one user's events are applied by one worker in
 * queue order). Each worker collects its deliveries into a batch (up to {@link Batching#maxBatch}) that is
 * flushed when it is full or {@link Batching#linger} after its first delivery, so that a lone message
 * waits only that long; the broker keeps up to {@link Batching#prefetch} unacknowledged deliveries on
 * their way. A batch is applied by the use case's {@code consumeAll} in one transaction on the worker's own
 * pooled connection (the event ids in the inbox in the same one), so the workers' commits overlap.
 *
 * <p>Acknowledgements follow an {@link AckWatermark}: one {@code basicAck(tag, multiple=true)} up to the
 * highest delivery below the lowest one that no worker has finished yet, so that no delivery is acked
 * before its batch committed. A crash before the ack means a redelivery, which the inbox turns into a
 * no-op. The workers settle deliveries (and send those acks) one at a time, under one lock, so acks leave
 * in increasing tag order.
 *
 * <p>A message that cannot be decoded goes to the dead-letter queue at once. If a batch fails for a reason
 * other than the database being unreachable, nothing of it was committed and it is tried again in halves,
 * each half split again while it fails, until the failing message is alone: that one is consumed as
 * before batching (handed back to the queue, and to the dead-letter queue after {@code maxDeliveries});
 * the others are applied in their halves. Passing outages of the database are waited out in place
 * (keeping per-user order) before the batch is handed back to the queue; one of user-service (needed only
 * to resync a user) is waited out by the message that needs it alone, once the halving isolated it, so
 * that it holds back only the messages that need it.
 *
 * <p>The connection recovers by itself after a broker restart or a cut (amqp-client's automatic recovery,
 * topology included; acks of deliveries from before the cut are dropped by amqp-client, and the broker
 * redelivers them); if the broker is down at start, it keeps trying in the background.
 */
public final class RabbitUserActivityConsumer implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(RabbitUserActivityConsumer.class.getName());
    private static final int TRANSIENT_ATTEMPTS = 5;
    private static final Duration IDLE_POLL = Duration.ofMillis(200);
    /** The most workers; each holds a database connection while it commits. */
    public static final int MAX_WORKERS = 64;

    /**
     * How deliveries are grouped into batches, and by how many workers.
     *
     * @param maxBatch deliveries in a worker's batch at most (at least 1)
     * @param prefetch unacknowledged deliveries the broker may send ahead (at least {@code maxBatch}, at most
     *                 65,535; twice the batch per worker lets each worker's next batch arrive while one is
     *                 committed)
     * @param linger   how long a batch that is not full waits, from its first delivery, before it is flushed
     * @param workers  worker threads, each committing its batches on its own database connection (1 to
     *                 {@link #MAX_WORKERS}); a user's events always go to the same one
     */
    public record Batching(int maxBatch, int prefetch, Duration linger, int workers) {

        /** 4,000 per batch, 2 workers, prefetch 16,000, 5 ms linger. */
        public static final Batching DEFAULT = of(4_000, 2, Duration.ofMillis(5));

        public Batching {
            Objects.requireNonNull(linger, "linger");
            if (maxBatch < 1 || prefetch < maxBatch || prefetch > 65_535 || linger.isNegative()
                    || workers < 1 || workers > MAX_WORKERS) {
                throw new IllegalArgumentException("batching needs 1 <= maxBatch <= prefetch <= 65535, a linger >= 0"
                        + " and 1 to " + MAX_WORKERS + " workers, not maxBatch=" + maxBatch + ", prefetch=" + prefetch
                        + ", linger=" + linger + ", workers=" + workers);
            }
        }

        /** With the default prefetch: twice the batch per worker, at most 65,535 (and at least the batch). */
        public static Batching of(int maxBatch, int workers, Duration linger) {
            return new Batching(maxBatch, defaultPrefetch(maxBatch, workers), linger, workers);
        }

        /** Twice the batch per worker, at most 65,535. */
        public static int defaultPrefetch(int maxBatch, int workers) {
            return (int) Math.min(65_535, 2L * maxBatch * workers);
        }
    }

    /**
     * A delivery on its way to, or in the batch of, a worker: decoded by the dispatch thread.
     * {@code finished} is touched under {@link #settleLock} only.
     */
    private static final class Received {
        final Channel channel;
        final Delivery delivery;
        final UserActivity activity;
        boolean finished;

        Received(Channel channel, Delivery delivery, UserActivity activity) {
            this.channel = channel;
            this.delivery = delivery;
            this.activity = activity;
        }

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
     * The workers: each collects the deliveries of its users into batches and commits them. Not
     * amqp-client's dispatch thread, which only decodes deliveries and hands them over: while it is busy in
     * a callback no further delivery of the channel is dispatched, so a batch could never fill (nor linger)
     * there, and a slow commit would stall the channel's other work.
     */
    private final List<Worker> workers;
    /**
     * Guards {@link #watermark} and every ack, nack and reject sent on the channel (by the workers and the
     * dispatch thread), so that the acks leave in increasing tag order and an individual settlement always
     * leaves before the multiple ack that passes over it.
     */
    private final Object settleLock = new Object();
    private final AckWatermark watermark = new AckWatermark();
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
     * @param batching      how deliveries are grouped into batches, by how many workers
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
        List<Worker> created = new ArrayList<>(batching.workers());
        for (int i = 0; i < batching.workers(); i++) {
            created.add(new Worker(i));
        }
        this.workers = List.copyOf(created);
    }

    /** Connects (in the background until the broker answers), declares the queues and starts consuming. */
    public void start() {
        workers.forEach(worker -> worker.thread.start());
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

    /** Deliveries received and not finished yet, or finished behind one that is not (for tests). */
    int unfinishedDeliveries() {
        synchronized (settleLock) {
            return watermark.pending();
        }
    }

    private void connect() {
        Duration pause = Duration.ofMillis(200);
        while (!closing) {
            try {
                Connection opened = factory.newConnection("user-stats-service consumer");
                Channel channel = opened.createChannel();
                Topology.declareStatsQueues(channel, settings.quorumQueues(), names);
                channel.basicQos(batching.prefetch());
                // The dispatch thread only decodes the delivery and hands it over to its user's worker.
                channel.basicConsume(names.queue(), false, "user-stats",
                        (tag, delivery) -> dispatch(channel, delivery),
                        tag -> LOG.warning("consumer cancelled: " + tag));
                connection = opened;
                LOG.info(() -> "consuming " + names.queue() + " at " + settings + " in batches of up to "
                        + batching.maxBatch() + " on " + batching.workers() + " workers (prefetch "
                        + batching.prefetch() + ", linger " + batching.linger().toMillis() + " ms)");
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

    // ---- the dispatch thread ----

    /**
     * On amqp-client's dispatch thread, in queue order: decodes the delivery and hands it to its user's
     * worker, or dead-letters it at once if it cannot be decoded.
     */
    private void dispatch(Channel channel, Delivery delivery) throws IOException {
        UserActivity activity;
        try {
            activity = UserActivityMessages.toActivity(delivery.getBody());
        } catch (IllegalArgumentException poison) {
            LOG.warning(() -> "dead-lettering undecodable message " + delivery.getProperties().getMessageId()
                    + ": " + poison.getMessage());
            // Never registered in the watermark: it is settled before any later delivery is even registered.
            synchronized (settleLock) {
                channel.basicReject(delivery.getEnvelope().getDeliveryTag(), false);
            }
            observer.deadLettered();
            return;
        }
        Received received = new Received(channel, delivery, activity);
        synchronized (settleLock) {
            watermark.delivered(received.tag());
        }
        workers.get(WorkerOfUser.of(activity.userId(), workers.size())).received.add(received);
    }

    // ---- settling deliveries ----

    /**
     * Marks deliveries finished in the watermark and sends the multiple ack it allows, if any.
     *
     * @param committed true if their batch committed; false if each was settled on its own already
     */
    private void finish(List<Received> deliveries, boolean committed) throws IOException {
        synchronized (settleLock) {
            long ackUpTo = 0;
            Channel channel = null;
            for (Received each : deliveries) {
                if (!each.finished) {
                    each.finished = true;
                    ackUpTo = Math.max(ackUpTo, watermark.finished(each.tag(), committed));
                    channel = each.channel;
                }
            }
            if (ackUpTo > 0) {
                // Every delivery up to ackUpTo is finished: committed (acked now) or settled on its own.
                channel.basicAck(ackUpTo, true);
            }
        }
    }

    /** Hands one delivery back to the queue (or dead-letters it: {@code requeue} false) and marks it finished. */
    private void settleAlone(Received delivery, boolean requeue) throws IOException {
        synchronized (settleLock) {
            try {
                if (requeue) {
                    delivery.channel.basicNack(delivery.tag(), false, true);
                } else {
                    delivery.channel.basicReject(delivery.tag(), false);
                }
            } finally {
                finish(List.of(delivery), false);
            }
        }
    }

    /**
     * After a worker's batch broke off (most likely the channel closed under it): hands back to the queue
     * what is not finished yet, if the channel still takes it, and marks it finished, so that the watermark
     * moves on. Never marks such a delivery committed: a later multiple ack must not settle it.
     */
    private void abandon(List<Received> batch) {
        synchronized (settleLock) {
            for (Received each : batch) {
                if (each.finished) {
                    continue;
                }
                try {
                    each.channel.basicNack(each.tag(), false, true);
                } catch (IOException | RuntimeException closed) {
                    // The broker redelivers it anyway once the channel is gone.
                }
                try {
                    finish(List.of(each), false);
                } catch (IOException | RuntimeException closed) {
                    // The ack it allowed is lost with the channel; the broker redelivers, the inbox dedups.
                }
            }
        }
    }

    // ---- the workers ----

    /** One worker: its users' deliveries, its batches, its transactions. */
    private final class Worker {
        /** Deliveries handed over by the dispatch thread; at most {@link Batching#prefetch} thanks to the QoS. */
        final BlockingQueue<Received> received = new LinkedBlockingQueue<>();
        final Thread thread;

        Worker(int index) {
            this.thread = Thread.ofPlatform().daemon().name("user-stats-consumer-" + index).unstarted(this::work);
        }

        private void work() {
            List<Received> batch = new ArrayList<>(batching.maxBatch());
            while (!closing) {
                try {
                    if (!collect(batch)) {
                        continue;
                    }
                    process(batch);
                } catch (InterruptedException e) {
                    abandon(batch);
                    return;
                } catch (IOException | RuntimeException e) {
                    // Most likely the channel closed under us (a broker restart, a cut): whatever was not acked
                    // is redelivered after recovery, and the inbox makes what was committed a duplicate.
                    LOG.log(Level.WARNING, "could not finish a batch of " + batch.size() + " deliveries; the broker"
                            + " redelivers what was not acknowledged", e);
                    abandon(batch);
                } finally {
                    batch.clear();
                }
            }
        }

        /**
         * Waits for a first delivery, then takes more until the batch is full or the linger, counted from
         * that first delivery, is over.
         *
         * @return false if nothing arrived for a while (so that the worker looks at {@link #closing})
         */
        private boolean collect(List<Received> batch) throws InterruptedException {
            Received first = received.poll(IDLE_POLL.toNanos(), TimeUnit.NANOSECONDS);
            if (first == null) {
                return false;
            }
            batch.add(first);
            long deadline = System.nanoTime() + batching.linger().toNanos();
            while (batch.size() < batching.maxBatch()) {
                received.drainTo(batch, batching.maxBatch() - batch.size());
                if (batch.size() >= batching.maxBatch()) {
                    break;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                Received next = received.poll(left, TimeUnit.NANOSECONDS);
                if (next == null) {
                    break;
                }
                batch.add(next);
            }
            return true;
        }
    }

    private void process(List<Received> batch) throws IOException {
        apply(batch, true);
    }

    /**
     * Applies deliveries in one transaction; if that fails for a reason other than the database being
     * unreachable, in two halves, each split again while it fails, down to the failing delivery alone,
     * which is consumed as before batching ({@link #handle}).
     *
     * @param whole whether this is a worker's whole batch (for the log)
     */
    private void apply(List<Received> part, boolean whole) throws IOException {
        List<UserActivity> activities = new ArrayList<>(part.size());
        for (Received each : part) {
            activities.add(each.activity);
        }
        Duration backoff = Duration.ofMillis(100);
        for (int attempt = 1; ; attempt++) {
            try {
                lastConsumedOccurredAt = activities.getLast().occurredAt();
                // The use case reports each event's result to the observer itself; here only the ack is left.
                consume.consumeAll(activities);
                break;
            } catch (StoreUnavailableException outage) {
                if (attempt >= TRANSIENT_ATTEMPTS) {
                    LOG.warning(() -> "handing " + activities.size() + " events back to the queue: "
                            + outage.getMessage());
                    for (Received each : part) {
                        settleAlone(each, true);
                    }
                    return;
                }
                pause(backoff);
                backoff = backoff.multipliedBy(2);
            } catch (RuntimeException failure) {
                // Nothing of it was committed.
                if (part.size() == 1) {
                    handle(part.getFirst());
                    return;
                }
                if (whole) {
                    if (failure instanceof UserDirectoryUnavailableException) {
                        LOG.fine(() -> "a batch needs user-service, which is unavailable: applying its "
                                + activities.size() + " events in halves to isolate the ones that need it");
                    } else {
                        LOG.log(Level.WARNING, "a batch of " + activities.size() + " events failed; applying it in"
                                + " halves to isolate the failing one", failure);
                    }
                }
                int half = part.size() / 2;
                apply(part.subList(0, half), false);
                apply(part.subList(half, part.size()), false);
                return;
            }
        }
        // Only after the commit: acked as soon as no earlier delivery of any worker is unfinished.
        finish(part, true);
        if (!failedDeliveries.isEmpty()) {
            activities.forEach(activity -> failedDeliveries.remove(activity.eventId()));
        }
    }

    /** One delivery alone, as before batching: where the halving of a failed batch ends. */
    private void handle(Received received) throws IOException {
        UserActivity activity = received.activity;
        Duration backoff = Duration.ofMillis(100);
        for (int attempt = 1; ; attempt++) {
            try {
                lastConsumedOccurredAt = activity.occurredAt();
                // The use case reports its result to the observer itself; here only the ack is left.
                consume.consume(activity);
                finish(List.of(received), true);
                if (!failedDeliveries.isEmpty()) {
                    failedDeliveries.remove(activity.eventId());
                }
                return;
            } catch (UserDirectoryUnavailableException | StoreUnavailableException outage) {
                if (attempt >= TRANSIENT_ATTEMPTS) {
                    LOG.warning(() -> "handing event " + activity.eventId() + " back to the queue: " + outage.getMessage());
                    settleAlone(received, true);
                    return;
                }
                pause(backoff);
                backoff = backoff.multipliedBy(2);
            } catch (RuntimeException failure) {
                long deliveries = Math.max(previousDeliveries(received.delivery),
                        failedDeliveries.getOrDefault(activity.eventId(), 0L)) + 1;
                if (deliveries >= maxDeliveries) {
                    failedDeliveries.remove(activity.eventId());
                    LOG.log(Level.SEVERE, "dead-lettering event " + activity.eventId() + " after " + deliveries
                            + " deliveries", failure);
                    settleAlone(received, false);
                    observer.deadLettered();
                } else {
                    failedDeliveries.put(activity.eventId(), deliveries);
                    LOG.log(Level.WARNING, "event " + activity.eventId() + " failed (delivery " + deliveries + " of "
                            + maxDeliveries + "); requeued", failure);
                    settleAlone(received, true);
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
            // Let the batches in hand finish (and be acked); what is still buffered is redelivered.
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            for (Worker worker : workers) {
                long left = Math.max(1, deadline - System.nanoTime());
                worker.thread.join(Duration.ofNanos(left));
            }
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
