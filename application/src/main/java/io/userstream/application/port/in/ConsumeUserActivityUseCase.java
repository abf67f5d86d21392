package io.userstream.application.port.in;

import io.userstream.domain.stats.ConsumeResult;
import io.userstream.domain.stats.UserActivity;

/**
 * Applies one user event, as delivered by the message broker, to the user's stats. Delivery is
 * at-least-once and unordered across redeliveries, so consuming is idempotent (the event id is recorded
 * in the same transaction as its effect) and gap-aware (an event that does not follow the stats' last
 * version triggers a rebuild from the user's history rather than a wrong count).
 */
public interface ConsumeUserActivityUseCase {

    /**
     * @return {@link ConsumeResult#APPLIED} for the next event, {@link ConsumeResult#DUPLICATE} for one
     *         already reflected, {@link ConsumeResult#RESYNCED} when the stats were rebuilt from the history
     * @throws io.userstream.application.port.out.UserDirectoryUnavailableException if a rebuild was
     *         needed and user-service could not answer in time; nothing was recorded, redeliver later
     * @throws IllegalStateException if a rebuild was needed and user-service does not know the user (or
     *         its history lacks the event): redelivering will not help for long, so dead-letter it after retries
     */
    ConsumeResult consume(UserActivity activity);
}
