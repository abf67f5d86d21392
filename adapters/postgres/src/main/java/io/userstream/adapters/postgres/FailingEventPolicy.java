package io.userstream.adapters.postgres;

import io.userstream.application.port.out.ProjectionObserver;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.logging.Logger;

/**
 * What happens to an event that failed on its own (isolated by {@link BatchSizer}, in a batch of one):
 * tried again after a back-off ({@code retryBackoff}, doubling) until {@code maxAttempts}, then parked in
 * {@code parked_events} (the track goes on after it) or, under the stop policy, the track stops before it.
 * Nothing sleeps inside a transaction: the track just reads nothing until the event is due. Attempts are
 * counted in memory: a restart tries again from one.
 */
final class FailingEventPolicy {

    /** What to do now with the failing event. */
    enum Decision {
        /** Try it again once its back-off has passed. */
        RETRY_LATER,
        /** Park it and go on after it. */
        PARK,
        /** Stop before it. */
        STOP
    }

    private static final Logger LOG = Logger.getLogger(FailingEventPolicy.class.getName());

    private final SubscriptionSettings settings;
    private final ProjectionObserver observer;

    FailingEventPolicy(SubscriptionSettings settings, ProjectionObserver observer) {
        this.settings = settings;
        this.observer = observer;
    }

    /** Counts one failed attempt on {@code event} and decides. */
    Decision failed(Track track, LoggedEvent event, String error) {
        int attempts = track.failed(event.position(), settings.retryBackoff());
        observer.failed(track.subscription);
        LOG.warning(() -> "subscription " + track.describe() + " failed on event at position " + event.position()
                + " (attempt " + attempts + " of " + settings.maxAttempts() + "): " + error);
        if (attempts < settings.maxAttempts()) {
            return Decision.RETRY_LATER;
        }
        track.clearFailure();
        return settings.onFailure() == SubscriptionSettings.FailurePolicy.STOP ? Decision.STOP : Decision.PARK;
    }

    /** Parks {@code event} in the caller's transaction, with its error and attempts. */
    void park(Connection transaction, Track track, LoggedEvent event, String error) throws SQLException {
        try (PreparedStatement insert = transaction.prepareStatement("""
                INSERT INTO parked_events (subscription, position, event_id, error, attempts)
                VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (subscription, position) DO UPDATE SET error = EXCLUDED.error,
                    attempts = parked_events.attempts + EXCLUDED.attempts, parked_at = clock_timestamp()
                """)) {
            insert.setString(1, track.parkingName());
            insert.setLong(2, event.position());
            insert.setObject(3, event.eventId());
            insert.setString(4, error);
            insert.setInt(5, settings.maxAttempts());
            insert.executeUpdate();
        }
    }

    /** Says, after the commit, that {@code event} was parked. */
    void parked(Track track, LoggedEvent event, String error) {
        observer.parked(track.subscription);
        LOG.severe(() -> "subscription " + track.parkingName() + " parked event " + event.eventId() + " at position "
                + event.position() + " after " + settings.maxAttempts() + " attempts: " + error);
    }

    /** How long a subscription stopped by the stop policy waits before trying the event again. */
    static Duration stoppedRetry() {
        return Duration.ofSeconds(30);
    }
}
