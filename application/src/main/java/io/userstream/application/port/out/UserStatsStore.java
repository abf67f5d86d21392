package io.userstream.application.port.out;

import io.userstream.domain.stats.UserStats;

import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;

/**
 * Where user-stats-service keeps each user's stats and the inbox of events it has consumed. The inbox
 * lives with the stats so that recording an event as processed and applying its effect commit together:
 * a redelivered event is then recognised however the previous delivery ended.
 *
 * <p>Every method may throw {@link StoreUnavailableException} when the store cannot be reached.
 */
public interface UserStatsStore {

    /** The user's stats, if any. */
    Optional<UserStats> find(UUID userId);

    /**
     * Stores {@code stats} unless the user already has some; concurrent callers for one user are safe,
     * exactly one of them wins and the others leave the winner's row as it is.
     *
     * @return true if this call stored them
     */
    boolean insertIfAbsent(UserStats stats);

    /**
     * Runs {@code work} in one transaction: committed if it returns, rolled back (and the exception
     * rethrown as it is) if it throws. The {@link StatsTransaction} is valid only inside {@code work}.
     * A transaction the database aborts (a deadlock, a serialization failure) may be rolled back and
     * {@code work} run again, so {@code work} acts only through its {@link StatsTransaction}.
     */
    <T> T inTransaction(Function<StatsTransaction, T> work);

    /** What one transaction can do; its effects become visible together, at commit. */
    interface StatsTransaction {

        /**
         * Records the event in the inbox.
         *
         * @return false if it was already recorded (by a committed transaction, or by a concurrent one
         *         that then commits: this call waits for it to finish)
         */
        boolean markProcessed(UUID eventId);

        /**
         * The user's stats, locked until the transaction ends so that concurrent consumers of the same
         * user's events take turns.
         */
        Optional<UserStats> lockStats(UUID userId);

        /**
         * Inserts or replaces the user's stats. A row that already reflects the same or a later event
         * version is left as it is: two transactions that both found no row (and so had nothing to
         * lock) can never move the stats backwards, whichever commits last.
         */
        void save(UserStats stats);
    }
}
