package io.userstream.adapters.metrics;

import io.helidon.metrics.api.FunctionalCounter;
import io.helidon.metrics.api.Gauge;
import io.helidon.metrics.api.MeterRegistry;
import io.helidon.metrics.api.Tag;
import io.userstream.application.support.BoundedPasswordHasher;
import io.userstream.application.support.BoundedPasswordHasher.Operation;

import java.util.List;
import java.util.Locale;

/**
 * The bounded password-hashing pool for Prometheus, read from the pool itself at each scrape:
 * <ul>
 *   <li>{@code password_hashing_running}, {@code password_hashing_waiting}: hashes computing now, calls
 *       waiting for a thread;</li>
 *   <li>{@code password_hashing_threads}, {@code password_hashing_queue}: the configured limits;</li>
 *   <li>{@code password_hashes_total{operation="hash|verify"}}: hashes computed (their rate is hashes/s);</li>
 *   <li>{@code password_hashing_rejected_total{operation="hash|verify"}}: calls refused with
 *       RESOURCE_EXHAUSTED because the pool was full.</li>
 * </ul>
 */
public final class PasswordHashingMetrics {

    private PasswordHashingMetrics() {
    }

    /** Registers the meters of {@code pool} in {@code registry}. */
    public static void register(BoundedPasswordHasher pool, MeterRegistry registry) {
        registry.getOrCreate(Gauge.builder("password_hashing_running", pool, p -> p.running())
                .description("Password hashes being computed now"));
        registry.getOrCreate(Gauge.builder("password_hashing_waiting", pool, p -> p.waiting())
                .description("Password hashing calls waiting for a hashing thread"));
        registry.getOrCreate(Gauge.builder("password_hashing_threads", pool, p -> p.limits().threads())
                .description("Most password hashes computed at once"));
        registry.getOrCreate(Gauge.builder("password_hashing_queue", pool, p -> p.limits().queue())
                .description("Most password hashing calls waiting; beyond them calls get RESOURCE_EXHAUSTED"));
        for (Operation operation : Operation.values()) {
            List<Tag> tags = List.of(Tag.create("operation", operation.name().toLowerCase(Locale.ROOT)));
            registry.getOrCreate(FunctionalCounter.builder("password_hashes", pool, p -> p.done(operation))
                    .description("Password hashes computed")
                    .tags(tags));
            registry.getOrCreate(FunctionalCounter.builder("password_hashing_rejected", pool,
                            p -> p.rejected(operation))
                    .description("Password hashing calls refused because the hashing pool was full")
                    .tags(tags));
        }
    }
}
