package io.userstream.adapters.postgres;

import java.time.Duration;
import java.util.Objects;

/**
 * How a subscription reads and recovers.
 *
 * @param batchSize         most events read and committed per transaction; batches grow to it while a
 *                          subscription is behind and stay small at the head of the log ({@link BatchSizer})
 * @param pollInterval      longest wait for new events when no notification arrives (LISTEN/NOTIFY fallback)
 * @param takeoverInterval  how often a standby instance tries to become the active one
 * @param maxAttempts       tries per event before it is parked (or the subscription stops)
 * @param retryBackoff      pause after the first failed try; doubles on each further try
 * @param onFailure         what to do with an event that keeps failing
 */
public record SubscriptionSettings(int batchSize, Duration pollInterval, Duration takeoverInterval, int maxAttempts,
                                   Duration retryBackoff, FailurePolicy onFailure) {

    /** Sensible production defaults: batches of up to 5,000, 1 s polling and takeover, 3 tries from 100 ms, park. */
    public static final SubscriptionSettings DEFAULTS = new SubscriptionSettings(5000, Duration.ofSeconds(1),
            Duration.ofSeconds(1), 3, Duration.ofMillis(100), FailurePolicy.PARK_AND_CONTINUE);

    /** What happens to an event that fails {@code maxAttempts} times. */
    public enum FailurePolicy {
        /** Park it in {@code parked_events} with its error and go on with the next event. */
        PARK_AND_CONTINUE,
        /** Stop before it (state FAILED) and try again later; order matters more than progress. */
        STOP
    }

    public SubscriptionSettings {
        Objects.requireNonNull(pollInterval, "pollInterval");
        Objects.requireNonNull(takeoverInterval, "takeoverInterval");
        Objects.requireNonNull(retryBackoff, "retryBackoff");
        Objects.requireNonNull(onFailure, "onFailure");
        if (batchSize < 1 || maxAttempts < 1) {
            throw new IllegalArgumentException("batchSize and maxAttempts must be at least 1");
        }
    }
}
