package io.userstream.adapters.metrics;

import io.helidon.metrics.api.Counter;
import io.helidon.metrics.api.Gauge;
import io.helidon.metrics.api.MeterRegistry;
import io.helidon.metrics.api.Tag;
import io.userstream.application.port.out.StatsObserver;
import io.userstream.domain.stats.ConsumeResult;

import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * user-stats metrics: {@code stats_events_consumed_total{result="applied|duplicate|resynced|dead_lettered"}},
 * {@code stats_repairs_total{outcome="created|user_not_found|unavailable"}} and
 * {@code stats_consumer_lag_seconds} (age of the last consumed event when it was consumed; 0 before any).
 */
public final class StatsMetrics implements StatsObserver {

    private final Map<ConsumeResult, Counter> consumed = new EnumMap<>(ConsumeResult.class);
    private final Counter deadLettered;
    private final Map<RepairOutcome, Counter> repairs = new EnumMap<>(RepairOutcome.class);
    private volatile double consumerLagSeconds;
    private volatile Supplier<Optional<Instant>> lastConsumedOccurredAt = Optional::empty;

    public StatsMetrics(MeterRegistry registry) {
        for (ConsumeResult result : ConsumeResult.values()) {
            consumed.put(result, consumedCounter(registry, result.name().toLowerCase(java.util.Locale.ROOT)));
        }
        deadLettered = consumedCounter(registry, "dead_lettered");
        for (RepairOutcome outcome : RepairOutcome.values()) {
            repairs.put(outcome, registry.getOrCreate(Counter.builder("stats_repairs")
                    .description("On-read and sweep repairs of missing stats rows, by outcome")
                    .tags(List.of(Tag.create("outcome", outcome.name().toLowerCase(java.util.Locale.ROOT))))));
        }
        registry.getOrCreate(Gauge.builder("stats_consumer_lag_seconds", this, metrics -> metrics.consumerLagSeconds)
                .description("How old the last consumed user event was when it was consumed"));
    }

    /** Where the consumer tells when the event it consumed last had happened. */
    public StatsMetrics watchConsumer(Supplier<Optional<Instant>> lastConsumedOccurredAt) {
        this.lastConsumedOccurredAt = lastConsumedOccurredAt;
        return this;
    }

    @Override
    public void consumed(ConsumeResult result) {
        consumed.get(result).increment();
        lastConsumedOccurredAt.get().ifPresent(at ->
                consumerLagSeconds = Math.max(0, Duration.between(at, Instant.now()).toMillis() / 1000.0));
    }

    @Override
    public void deadLettered() {
        deadLettered.increment();
    }

    @Override
    public void repaired(RepairOutcome outcome) {
        repairs.get(outcome).increment();
    }

    private static Counter consumedCounter(MeterRegistry registry, String result) {
        return registry.getOrCreate(Counter.builder("stats_events_consumed")
                .description("User events consumed by user-stats, by result")
                .tags(List.of(Tag.create("result", result))));
    }
}
