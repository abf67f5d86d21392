package io.userstream.adapters.metrics;

import io.helidon.metrics.api.Counter;
import io.helidon.metrics.api.FunctionalCounter;
import io.helidon.metrics.api.MeterRegistry;
import io.helidon.metrics.api.Tag;
import io.helidon.metrics.api.Timer;
import io.userstream.application.port.out.AppendOutcome;
import io.userstream.application.port.out.AppendRequest;
import io.userstream.application.port.out.NewUserEvent;
import io.userstream.application.port.out.RecordedUserEvent;
import io.userstream.application.port.out.Reservation;
import io.userstream.application.port.out.UserEventStore;
import io.userstream.domain.user.UserEvent;
import io.userstream.domain.user.UserId;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.List;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * Meters a {@link UserEventStore}. Exposed to Prometheus as:
 * <ul>
 *   <li>{@code eventstore_events_appended_total{event_type}}: events stored, by type;</li>
 *   <li>{@code eventstore_append_seconds}: latency of an append, whatever its outcome;</li>
 *   <li>{@code eventstore_append_conflicts_total{reason="version|reservation"}}: appends refused;</li>
 *   <li>{@code eventstore_load_seconds}: latency of loading one stream;</li>
 *   <li>with group commit ({@link #registerGroupCommit}): {@code eventstore_group_commits_total} (statements
 *       that wrote a group of single-event appends, a lone one included) and
 *       {@code eventstore_group_committed_appends_total} (the appends they wrote); the ratio of their rates is
 *       the mean group size.</li>
 * </ul>
 */
public final class MeteredUserEventStore implements UserEventStore {

    private final UserEventStore delegate;
    private final MeterRegistry registry;
    private final Map<Class<?>, Counter> appendedByType = new HashMap<>();
    private final Timer appendLatency;
    private final Timer loadLatency;
    private final Counter versionConflicts;
    private final Counter reservationConflicts;

    public MeteredUserEventStore(UserEventStore delegate, MeterRegistry registry) {
        this.delegate = delegate;
        this.registry = registry;
        this.appendLatency = registry.getOrCreate(Timer.builder("eventstore_append")
                .baseUnit("seconds")
                .description("Latency of appending events to a user's stream"));
        this.loadLatency = registry.getOrCreate(Timer.builder("eventstore_load")
                .baseUnit("seconds")
                .description("Latency of loading one user's stream"));
        this.versionConflicts = conflicts("version");
        this.reservationConflicts = conflicts("reservation");
        // Registered up front so every type shows as 0 before its first event, not as a missing series.
        for (Class<?> type : UserEvent.class.getPermittedSubclasses()) {
            appendedByType.put(type, registry.getOrCreate(Counter.builder("eventstore_events_appended")
                    .description("Events appended to the event store, by event type")
                    .tags(List.of(Tag.create("event_type", type.getSimpleName())))));
        }
    }

    @Override
    public List<RecordedUserEvent> load(UserId userId) {
        long start = System.nanoTime();
        try {
            return delegate.load(userId);
        } finally {
            loadLatency.record(Duration.ofNanos(System.nanoTime() - start));
        }
    }

    @Override
    public AppendOutcome append(AppendRequest request) {
        long start = System.nanoTime();
        AppendOutcome outcome;
        try {
            outcome = delegate.append(request);
        } finally {
            appendLatency.record(Duration.ofNanos(System.nanoTime() - start));
        }
        switch (outcome) {
            case AppendOutcome.Appended appended -> {
                for (NewUserEvent event : request.events()) {
                    appendedByType.get(event.event().getClass()).increment();
                }
            }
            case AppendOutcome.VersionConflict conflict -> versionConflicts.increment();
            case AppendOutcome.ReservationTaken taken -> reservationConflicts.increment();
        }
        return outcome;
    }

    @Override
    public List<Reservation> held(List<Reservation> reservations) {
        return delegate.held(reservations);
    }

    @Override
    public Optional<UserId> holder(Reservation reservation) {
        return delegate.holder(reservation);
    }

    /**
     * Registers the group commit's counters, read at each scrape from the store that commits in groups:
     * {@code groups} and {@code appends} count its groups and the appends they wrote.
     */
    public static void registerGroupCommit(MeterRegistry registry, LongSupplier groups, LongSupplier appends) {
        registry.getOrCreate(FunctionalCounter.builder("eventstore_group_commits", groups, LongSupplier::getAsLong)
                .description("Statements (one transaction each) that wrote a group of single-event appends"));
        registry.getOrCreate(FunctionalCounter.builder("eventstore_group_committed_appends", appends,
                        LongSupplier::getAsLong)
                .description("Single-event appends written by group commit; per group on average: divide by"
                        + " eventstore_group_commits_total"));
    }

    private Counter conflicts(String reason) {
        return registry.getOrCreate(Counter.builder("eventstore_append_conflicts")
                .description("Appends refused because of a version conflict or a taken reservation")
                .tags(List.of(Tag.create("reason", reason))));
    }
}
