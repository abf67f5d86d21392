package io.userstream.application.port.in;

import io.userstream.domain.stats.ConsumeResult;
import io.userstream.domain.stats.UserActivity;

import java.util.List;

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

    /**
     * Applies a batch of events, in the order given, with the outcome {@link #consume} would have had for
     * each of them called one after the other: a repeated event id (within the batch or from an earlier
     * one) is a {@link ConsumeResult#DUPLICATE}, a user's events apply in order, a skipped version resyncs
     * the user from its history. All or nothing: the whole batch is committed at once, or nothing of it is.
     *
     * @param activities the events in delivery order; may hold the same event more than once
     * @return one result per event, in the same order
     * @throws io.userstream.application.port.out.UserDirectoryUnavailableException if a resync was needed
     *         and user-service could not answer in time; nothing was recorded
     * @throws io.userstream.application.port.out.StoreUnavailableException if the store could not be
     *         reached; nothing was recorded
     * @throws RuntimeException anything else {@link #consume} would throw for one of the events (such as
     *         an {@link IllegalStateException} for a user user-service does not know): nothing was
     *         recorded, and consuming the events one by one tells which one it is
     */
    List<ConsumeResult> consumeAll(List<UserActivity> activities);
}
