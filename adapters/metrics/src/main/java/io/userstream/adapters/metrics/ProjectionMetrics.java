package io.userstream.adapters.metrics;

import io.helidon.metrics.api.Counter;
import io.helidon.metrics.api.Gauge;
import io.helidon.metrics.api.MeterRegistry;
import io.helidon.metrics.api.Tag;
import io.userstream.application.port.out.ProjectionObserver;
import io.userstream.application.view.ProjectionStatus;
import io.userstream.application.port.out.Projections;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Projection metrics for Prometheus:
 * <ul>
 *   <li>{@code projection_events_processed_total{projection}}, {@code projection_failures_total{projection}}
 *       (failed attempts) — counted as they happen;</li>
 *   <li>{@code projection_lag_seconds{projection}}, {@code projection_lag_events{projection}},
 *       {@code projection_parked_events{projection}}, {@code eventstore_horizon_blocked_seconds} — gauges
 *       from a status snapshot refreshed every {@code refresh}, so a scrape never queries the database.</li>
 * </ul>
 */
public final class ProjectionMetrics implements ProjectionObserver, AutoCloseable {

    private static final Logger LOG = Logger.getLogger(ProjectionMetrics.class.getName());

    private final MeterRegistry registry;
    private final Map<String, Counter> processed = new ConcurrentHashMap<>();
    private final Map<String, Counter> failures = new ConcurrentHashMap<>();
    private final Map<String, ProjectionStatus> latest = new ConcurrentHashMap<>();
    private final ScheduledExecutorService refresher = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("projection-metrics").factory());
    private volatile double horizonBlockedSeconds;

    public ProjectionMetrics(MeterRegistry registry) {
        this.registry = registry;
        registry.getOrCreate(Gauge.builder("eventstore_horizon_blocked_seconds", this,
                        (ToDoubleFunction<ProjectionMetrics>) metrics -> metrics.horizonBlockedSeconds)
                .description("Age of the oldest open writing transaction, which holds every subscription back"));
    }

    /** Registers the gauges of every projection and starts refreshing them from {@code projections}. */
    public ProjectionMetrics watch(Projections projections, Duration refresh) {
        for (String name : projections.names()) {
            gauge("projection_lag_seconds", name, "Age of the oldest event the projection has not handled",
                    ProjectionStatus::lagSeconds);
            gauge("projection_lag_events", name, "Committed events the projection has not handled",
                    status -> status.lagEvents());
            gauge("projection_parked_events", name, "Events the projection parked after failing on them",
                    status -> status.parkedEvents());
            counter(processed, "projection_events_processed", name, "Events the projection handled");
            counter(failures, "projection_failures", name, "Failed attempts to handle an event");
        }
        refresher.scheduleWithFixedDelay(() -> refresh(projections), 0, refresh.toMillis(), TimeUnit.MILLISECONDS);
        return this;
    }

    /**
     * Also exposes one projection's backlog under its own names, e.g. the outbox relay's as
     * {@code outbox_pending_events} and {@code outbox_lag_seconds}.
     */
    public ProjectionMetrics alsoAs(String projection, String pendingEventsName, String lagSecondsName) {
        registry.getOrCreate(Gauge.builder(pendingEventsName, this, latest(projection, ProjectionStatus::lagEvents))
                .description("Events of " + projection + " not yet handled"));
        registry.getOrCreate(Gauge.builder(lagSecondsName, this, latest(projection, ProjectionStatus::lagSeconds))
                .description("Age of the oldest event " + projection + " has not handled"));
        return this;
    }

    private void refresh(Projections projections) {
        try {
            List<ProjectionStatus> statuses = projections.statuses();
            for (ProjectionStatus status : statuses) {
                latest.put(status.name(), status);
                horizonBlockedSeconds = status.horizonBlockedSeconds();
            }
        } catch (RuntimeException e) {
            LOG.log(Level.FINE, "cannot refresh projection metrics", e);
        }
    }

    @Override
    public void processed(String projection, int count) {
        counter(processed, "projection_events_processed", projection, "Events the projection handled").increment(count);
    }

    @Override
    public void failed(String projection) {
        counter(failures, "projection_failures", projection, "Failed attempts to handle an event").increment();
    }

    @Override
    public void parked(String projection) {
        // projection_parked_events is a gauge of what is parked now (retries unpark), refreshed from the database.
    }

    @Override
    public void close() {
        refresher.shutdownNow();
    }

    private void gauge(String name, String projection, String description, ToDoubleFunction<ProjectionStatus> value) {
        registry.getOrCreate(Gauge.builder(name, this, latest(projection, value))
                .description(description)
                .tags(List.of(Tag.create("projection", projection))));
    }

    /** Reads {@code value} from the projection's last refreshed status; 0 before the first refresh. */
    private static ToDoubleFunction<ProjectionMetrics> latest(String projection, ToDoubleFunction<ProjectionStatus> value) {
        return metrics -> {
            ProjectionStatus status = metrics.latest.get(projection);
            return status == null ? 0 : value.applyAsDouble(status);
        };
    }

    private Counter counter(Map<String, Counter> counters, String name, String projection, String description) {
        return counters.computeIfAbsent(projection, key -> registry.getOrCreate(Counter.builder(name)
                .description(description)
                .tags(List.of(Tag.create("projection", key)))));
    }
}
