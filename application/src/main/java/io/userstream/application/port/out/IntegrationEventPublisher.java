package io.userstream.application.port.out;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Publishes user events to other services as integration events (the outbox relay's target).
 * Delivery is at-least-once: the relay calls again with the same events after any failure, so
 * implementations need not (and cannot) avoid duplicates; consumers deduplicate on the event id.
 *
 * <p>Two ways to publish: {@link #publish} waits for the broker; {@link #publishAsync} does not, so the
 * relay can publish its next batch while the broker still persists the previous ones (pipelining). An
 * implementation that can only wait keeps the default {@link #publishAsync}, and the relay then works
 * one batch at a time.
 */
public interface IntegrationEventPublisher {

    /**
     * Publishes {@code events} in order and returns only once the broker has confirmed every one of
     * them (persisted). Throws if it cannot; nothing is then known about which ones arrived.
     */
    void publish(List<RecordedUserEvent> events);

    /**
     * Publishes {@code events} in order, after everything handed over by earlier calls, and returns without
     * waiting for the broker: the stage completes once the broker has confirmed every one of them, and fails
     * if it cannot (a refusal, a message no queue takes, a lost connection, no answer in time); nothing is
     * then known about which ones arrived. Stages of successive calls may complete in any order: a caller
     * that needs "this batch and every earlier one" looks at them in the order it made the calls.
     *
     * <p>The default publishes synchronously ({@link #publish}) and returns a completed stage.
     */
    default CompletionStage<Void> publishAsync(List<RecordedUserEvent> events) {
        try {
            publish(events);
            return CompletableFuture.completedFuture(null);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }
}
