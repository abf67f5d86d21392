package io.userstream.adapters.metrics;

import io.helidon.metrics.api.Counter;
import io.helidon.metrics.api.MeterRegistry;
import io.userstream.application.port.out.IntegrationEventPublisher;
import io.userstream.application.port.out.RecordedUserEvent;

import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * Meters the outbox relay's publishing: {@code outbox_published_total} (events the broker confirmed)
 * and {@code outbox_publish_failures_total} (batches that failed and will be published again).
 */
public final class MeteredIntegrationEventPublisher implements IntegrationEventPublisher {

    private final IntegrationEventPublisher delegate;
    private final Counter published;
    private final Counter failures;

    public MeteredIntegrationEventPublisher(IntegrationEventPublisher delegate, MeterRegistry registry) {
        this.delegate = delegate;
        this.published = registry.getOrCreate(Counter.builder("outbox_published")
                .description("Events published to the bus and confirmed by the broker"));
        this.failures = registry.getOrCreate(Counter.builder("outbox_publish_failures")
                .description("Batches of events the broker did not confirm; they are published again"));
    }

    @Override
    public void publish(List<RecordedUserEvent> events) {
        try {
            delegate.publish(events);
        } catch (RuntimeException e) {
            failures.increment();
            throw e;
        }
        published.increment(events.size());
    }

    @Override
    public CompletionStage<Void> publishAsync(List<RecordedUserEvent> events) {
        // Counted when the broker's answer comes, on whichever thread completes the stage.
        return delegate.publishAsync(events).whenComplete((ignored, failure) -> {
            if (failure != null) {
                failures.increment();
            } else {
                published.increment(events.size());
            }
        });
    }
}
