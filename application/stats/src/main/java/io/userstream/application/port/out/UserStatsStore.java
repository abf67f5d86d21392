package io.userstream.application.port.out;

import io.userstream.domain.stats.UserStats;

import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
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

        /**
         * Records the events in the inbox, as {@link #markProcessed} would one by one, but in as few
         * round trips as the store can manage (the PostgreSQL store: one statement).
         *
         * @param eventIds distinct event ids
         * @return those of {@code eventIds} that were not recorded before; the others are duplicates
         */
        default Set<UUID> markAllProcessed(Collection<UUID> eventIds) {
            Set<UUID> fresh = new LinkedHashSet<>();
            for (UUID eventId : eventIds) {
                if (markProcessed(eventId)) {
                    fresh.add(eventId);
                }
            }
            return fresh;
        }

        /**
         * The stats of these users, each locked as by {@link #lockStats}; users without stats are absent
         * from the map. Locks are taken in one fixed order, so that two transactions locking overlapping
         * users do not deadlock.
         *
         * @param userIds distinct user ids
         */
        default Map<UUID, UserStats> lockAllStats(Collection<UUID> userIds) {
            Map<UUID, UserStats> found = new HashMap<>();
            userIds.stream().sorted().forEach(userId -> lockStats(userId).ifPresent(stats -> found.put(userId, stats)));
            return found;
        }

        /**
         * {@link #save Saves} the stats of several users, at most one entry per user, in as few round trips
         * as the store can manage (the PostgreSQL store: one statement). Each row follows the rule of
         * {@link #save}: one already at the same or a later version is left as it is.
         *
         * @throws IllegalArgumentException if two entries are of the same user
         */
        default void saveAll(Collection<UserStats> stats) {
            Set<UUID> users = new HashSet<>();
            for (UserStats each : stats) {
                if (!users.add(each.userId())) {
                    throw new IllegalArgumentException("saveAll takes one entry per user; user " + each.userId()
                            + " comes twice");
                }
            }
            stats.forEach(this::save);
        }
    }
}
