package io.userstream.adapters.postgres;

import io.userstream.application.port.out.IntegrationEventPublisher;
import io.userstream.application.port.out.RecordedUserEvent;

import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The transactional outbox's relay: a subscription like any projection, whose effect is publishing.
 *
 * <p>The event log itself is the outbox (events are written once, by the append; nothing else to
 * write in the same transaction). The relay collects a batch, publishes it, and only when the broker
 * has confirmed it lets the checkpoint commit; a failure rolls the batch back and it is published
 * again: at least once, in log order (so in order per user).
 */
final class OutboxRelay implements Projection {

    static final String NAME = "outbox_relay";

    private final IntegrationEventPublisher publisher;
    /** Per thread: the subscription's runner and an operator's replay may use the relay at the same time. */
    private final ThreadLocal<List<RecordedUserEvent>> batches = ThreadLocal.withInitial(ArrayList::new);

    OutboxRelay(IntegrationEventPublisher publisher) {
        this.publisher = publisher;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String table() {
        return "";
    }

    @Override
    public void beginBatch() {
        batches.get().clear();
    }

    @Override
    public void apply(Connection transaction, String table, RecordedUserEvent event) {
        batches.get().add(event);
    }

    @Override
    public void beforeCommit() {
        List<RecordedUserEvent> batch = batches.get();
        if (!batch.isEmpty()) {
            publisher.publish(List.copyOf(batch));
            batch.clear();
        }
    }

    @Override
    public boolean pipelinesEffect() {
        return true;
    }

    @Override
    public CompletionStage<Void> startEffect() {
        List<RecordedUserEvent> batch = batches.get();
        if (batch.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        CompletionStage<Void> confirmed = publisher.publishAsync(List.copyOf(batch));
        batch.clear();
        return confirmed;
    }

    @Override
    public void forget(Connection transaction, String table, UUID streamId) {
        // Published messages cannot be taken back; a replay publishes the stream again.
    }
}
