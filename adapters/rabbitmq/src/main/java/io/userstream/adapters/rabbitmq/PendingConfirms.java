package io.userstream.adapters.rabbitmq;

import java.time.Duration;
import java.util.BitSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The batches one confirm-mode channel has published and the broker has not fully confirmed yet, by
 * delivery tag: turns the broker's acks, nacks and returns (which arrive on the connection's thread, for
 * single messages or "every tag up to here") into one outcome per batch. A batch succeeds once every one of
 * its messages is acked and none was returned; it fails at the first nack, when a message was returned
 * (unroutable: no queue took it), when the channel shuts down, or when it is not confirmed within
 * {@code timeout}. After a nack or a timeout the channel is {@link #broken()}: its publisher opens a new one,
 * as {@code waitForConfirmsOrDie} did, rather than go on with a channel whose state nobody knows.
 */
final class PendingConfirms {

    private final Duration timeout;
    private final String exchange;
    /** Outstanding batches by their first delivery tag; a batch removes itself once it has an outcome. */
    private final ConcurrentSkipListMap<Long, Batch> batches = new ConcurrentSkipListMap<>();
    private volatile boolean broken;

    PendingConfirms(Duration timeout, String exchange) {
        this.timeout = timeout;
        this.exchange = exchange;
    }

    /**
     * Registers a batch of {@code size} messages (with ids {@code messageIds}) about to be published with
     * delivery tags {@code firstTag} onwards; to be called before its first message is published, since a
     * confirm may come at once. The stage completes with the batch's outcome.
     */
    CompletableFuture<Void> add(long firstTag, int size, Set<String> messageIds) {
        Batch batch = new Batch(firstTag, size, messageIds);
        batches.put(firstTag, batch);
        batch.outcome.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS).whenComplete((ignored, failure) -> {
            batches.remove(firstTag, batch);
            if (failure instanceof TimeoutException) {
                broken = true;
            }
        });
        return batch.outcome.handle((ignored, failure) -> {
            if (failure instanceof TimeoutException) {
                throw new IllegalStateException("RabbitMQ did not confirm " + batch.size + " events within "
                        + timeout.toMillis() + " ms", failure);
            }
            if (failure != null) {
                throw failure instanceof RuntimeException runtime ? runtime : new IllegalStateException(failure);
            }
            return null;
        });
    }

    /** The broker acked {@code tag}, or every tag up to it if {@code multiple}. */
    void acked(long tag, boolean multiple) {
        if (multiple) {
            for (Batch batch : batches.headMap(tag, true).values()) {
                batch.confirmed(batch.first, Math.min(batch.last, tag));
            }
        } else {
            Map.Entry<Long, Batch> entry = batches.floorEntry(tag);
            if (entry != null && tag <= entry.getValue().last) {
                entry.getValue().confirmed(tag, tag);
            }
        }
    }

    /** The broker refused {@code tag} (or every tag up to it): it could not take responsibility for it. */
    void nacked(long tag, boolean multiple) {
        broken = true;
        for (Batch batch : batches.headMap(tag, true).values()) {
            if (multiple || tag <= batch.last) {
                batch.outcome.completeExceptionally(new IllegalStateException("RabbitMQ did not confirm "
                        + batch.size + " events: it refused (nacked) delivery tag " + tag));
            }
        }
    }

    /**
     * The broker returned the message {@code messageId} as unroutable. It does so before that message's ack,
     * so its batch is known to have failed by the time the batch is fully acked. A return does not say which
     * publication it is for, and after a failure the relay may publish an event again while its first
     * publication is still unconfirmed: every batch holding the id counts it, so the one that was returned
     * fails for sure (another failing too only costs publishing it again).
     */
    void returned(String messageId) {
        for (Batch batch : batches.values()) {
            if (batch.ids.contains(messageId)) {
                batch.returned();
            }
        }
    }

    /** The channel is gone: no outstanding confirm will ever come. */
    void failAll(Throwable cause) {
        broken = true;
        for (Batch batch : batches.values()) {
            batch.outcome.completeExceptionally(new IllegalStateException("RabbitMQ did not confirm " + batch.size
                    + " events: " + cause, cause));
        }
    }

    /** A nack, a timeout or a shutdown: this channel must not be used any further. */
    boolean broken() {
        return broken;
    }

    /** One published batch: which of its tags are confirmed, and how many of its messages came back. */
    private final class Batch {
        final long first;
        final long last;
        final int size;
        final Set<String> ids;
        final CompletableFuture<Void> outcome = new CompletableFuture<>();
        private final BitSet confirmed;
        private int returned;

        Batch(long first, int size, Set<String> ids) {
            this.first = first;
            this.size = size;
            this.last = first + size - 1;
            this.ids = ids;
            this.confirmed = new BitSet(size);
        }

        synchronized void returned() {
            returned++;
        }

        /** Tags {@code from} to {@code to} (inclusive, within this batch) are acked; counted once each. */
        synchronized void confirmed(long from, long to) {
            int start = (int) (from - first);
            int end = (int) (to - first) + 1;
            confirmed.set(start, end);
            if (confirmed.cardinality() < size) {
                return;
            }
            if (returned > 0) {
                outcome.completeExceptionally(new RabbitIntegrationEventPublisher.UnroutableException(
                        "RabbitMQ returned " + returned + " of " + size + " events as unroutable: no queue is bound"
                                + " to exchange " + exchange + " for their routing keys (start user-stats-service,"
                                + " or bind a queue); the batch is published again later"));
            } else {
                outcome.complete(null);
            }
        }
    }
}
