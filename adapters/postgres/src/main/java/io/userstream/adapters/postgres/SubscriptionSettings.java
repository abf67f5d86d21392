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
 * @param maxInFlight       for a projection whose effect completes asynchronously (the outbox relay: the broker's
 *                          confirms), most events whose effect was started but is not known to be complete; the
 *                          live track reads further batches while that many or fewer are outstanding, and waits
 *                          for the oldest once it reaches it ({@link InFlightBatches})
 */
public record SubscriptionSettings(int batchSize, Duration pollInterval, Duration takeoverInterval, int maxAttempts,
                                   Duration retryBackoff, FailurePolicy onFailure, int maxInFlight) {

    /** Default of {@link #maxInFlight}: two full batches of the default size. */
    public static final int DEFAULT_MAX_IN_FLIGHT = 10_000;

    /**
     * Sensible production defaults: batches of up to 5,000, 1 s polling and takeover, 3 tries from 100 ms, park,
     * up to 10,000 events in flight.
     */
    public static final SubscriptionSettings DEFAULTS = new SubscriptionSettings(5000, Duration.ofSeconds(1),
            Duration.ofSeconds(1), 3, Duration.ofMillis(100), FailurePolicy.PARK_AND_CONTINUE);

    /** Settings with {@link #DEFAULT_MAX_IN_FLIGHT} events in flight. */
    public SubscriptionSettings(int batchSize, Duration pollInterval, Duration takeoverInterval, int maxAttempts,
                                Duration retryBackoff, FailurePolicy onFailure) {
        this(batchSize, pollInterval, takeoverInterval, maxAttempts, retryBackoff, onFailure, DEFAULT_MAX_IN_FLIGHT);
    }

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
        if (batchSize < 1 || maxAttempts < 1 || maxInFlight < 1) {
            throw new IllegalArgumentException("batchSize, maxAttempts and maxInFlight must be at least 1");
        }
    }
}
