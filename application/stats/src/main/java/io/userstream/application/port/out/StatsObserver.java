package io.userstream.application.port.out;

import io.userstream.domain.stats.ConsumeResult;

/**
 * Told what user-stats-service does, for metrics. Implementations must be cheap, thread-safe and never throw.
 */
public interface StatsObserver {

    /** An event was consumed (called by the stats service, once per successful {@code consume}). */
    void consumed(ConsumeResult result);

    /** An event was given up on and sent to the dead-letter queue (called by the consuming adapter). */
    void deadLettered();

    /** Missing stats were looked up at user-service (on read or by reconciliation), with this outcome. */
    void repaired(RepairOutcome outcome);

    /** How an attempt to repair missing stats ended. */
    enum RepairOutcome {
        /** The user exists and this attempt created its stats. */
        CREATED,
        /** user-service does not know the user either: there is nothing to repair. */
        USER_NOT_FOUND,
        /** user-service could not answer in time; nothing was created. */
        UNAVAILABLE,
        /**
         * user-service said moments ago that the user does not exist, so it was not asked again (random ids
         * cannot turn each GetUserStats into a call to user-service).
         */
        USER_NOT_FOUND_RECENTLY
    }

    /** Observes nothing. */
    StatsObserver NONE = new StatsObserver() {
        @Override
        public void consumed(ConsumeResult result) {
        }

        @Override
        public void deadLettered() {
        }

        @Override
        public void repaired(RepairOutcome outcome) {
        }
    };
}
