package io.userstream.application.service;

import io.userstream.application.port.in.ConsumeUserActivityUseCase;
import io.userstream.application.port.in.GetUserStatsQuery;
import io.userstream.application.port.in.NotFoundException;
import io.userstream.application.port.in.ReconcileUserStatsUseCase;
import io.userstream.application.port.out.StatsObserver;
import io.userstream.application.port.out.StatsObserver.RepairOutcome;
import io.userstream.application.port.out.TimeSource;
import io.userstream.application.port.out.UserDirectory;
import io.userstream.application.port.out.UserDirectory.DirectoryPage;
import io.userstream.application.port.out.UserDirectoryUnavailableException;
import io.userstream.application.port.out.UserStatsStore;
import io.userstream.application.port.out.UserStatsStore.StatsTransaction;
import io.userstream.domain.stats.ActivityType;
import io.userstream.domain.stats.ConsumeResult;
import io.userstream.domain.stats.StatsUserId;
import io.userstream.domain.stats.UserActivity;
import io.userstream.domain.stats.UserStats;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.logging.Logger;

/**
 * user-stats-service's use cases: consuming user events into per-user stats, reading them, and
 * repairing the stats that events failed to create.
 *
 * <p>Two ways of healing, both ending in {@link UserStats#fromHistory}: an event that does not follow the
 * stats' last version resyncs the user from its history at user-service (events were lost or reordered);
 * a user with no stats at all is repaired when read or reconciled (its creation event never arrived).
 * user-service is only asked outside a database transaction, so a slow answer never holds a row lock.
 */
public final class UserStatsService implements GetUserStatsQuery, ConsumeUserActivityUseCase,
        ReconcileUserStatsUseCase {

    /** User ids per directory page during reconciliation. */
    static final int RECONCILE_PAGE_SIZE = 500;

    private static final Logger LOG = Logger.getLogger(UserStatsService.class.getName());

    private final UserStatsStore store;
    private final UserDirectory directory;
    private final TimeSource clock;
    private final StatsObserver observer;

    /**
     * How long "user-service does not know this user" is believed without asking again. Short: a user created
     * meanwhile, whose UserCreated has not reached stats yet, answers NOT_FOUND for at most this long.
     */
    public static final Duration NOT_FOUND_TTL = Duration.ofSeconds(10);
    /** Unknown ids remembered at most (a few MiB). */
    static final int NOT_FOUND_CAPACITY = 100_000;

    /** Ids user-service did not know, with when that answer expires; most recent last. */
    private final Map<UUID, Instant> notFound = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<UUID, Instant> eldest) {
            return size() > NOT_FOUND_CAPACITY;
        }
    };

    public UserStatsService(UserStatsStore store, UserDirectory directory, TimeSource clock, StatsObserver observer) {
        this.store = Objects.requireNonNull(store, "store");
        this.directory = Objects.requireNonNull(directory, "directory");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.observer = Objects.requireNonNull(observer, "observer");
    }

    // ---- reading, with on-read repair ----

    @Override
    public UserStats getUserStats(String userId) {
        return findOrRepair(StatsUserId.parse("user_id", userId)).stats();
    }

    /** The stats as found or as repaired, and whether this call created them. */
    private record Lookup(UserStats stats, boolean created) {
    }

    /**
     * The user's stats; if there are none, builds them from the user's history and stores them. Parallel
     * repairs of one user are safe: each builds the same stats, the store keeps the first, and every
     * caller answers with the row that was kept.
     */
    private Lookup findOrRepair(UUID userId) {
        Optional<UserStats> stored = store.find(userId);
        if (stored.isPresent()) {
            return new Lookup(stored.get(), false);
        }
        if (knownNotFound(userId)) {
            observer.repaired(RepairOutcome.USER_NOT_FOUND_RECENTLY);
            throw new NotFoundException("user " + userId + " not found");
        }
        Optional<List<UserActivity>> history;
        try {
            history = directory.history(userId);
        } catch (UserDirectoryUnavailableException e) {
            observer.repaired(RepairOutcome.UNAVAILABLE);
            throw e;
        }
        if (history.isEmpty() || history.get().isEmpty()) {
            synchronized (notFound) {
                notFound.put(userId, clock.now().plus(NOT_FOUND_TTL));
            }
            observer.repaired(RepairOutcome.USER_NOT_FOUND);
            throw new NotFoundException("user " + userId + " not found");
        }
        Instant now = clock.now();
        boolean created = store.insertIfAbsent(fold(userId, history.get(), now, now));
        if (created) {
            LOG.info(() -> "self-healing triggered for user " + userId);
            observer.repaired(RepairOutcome.CREATED);
        }
        UserStats kept = store.find(userId).orElseThrow(() -> new IllegalStateException(
                "the stats of user " + userId + " were stored but cannot be read back"));
        return new Lookup(kept, created);
    }

    private boolean knownNotFound(UUID userId) {
        synchronized (notFound) {
            Instant expiry = notFound.get(userId);
            if (expiry == null) {
                return false;
            }
            if (clock.now().isBefore(expiry)) {
                return true;
            }
            notFound.remove(userId);
            return false;
        }
    }

    // ---- consuming events ----

    @Override
    public ConsumeResult consume(UserActivity activity) {
        Objects.requireNonNull(activity, "activity");
        Instant now = clock.now();
        ConsumeResult result;
        try {
            result = store.inTransaction(tx -> applyInOrder(tx, activity, now));
        } catch (GapFound gap) {
            // The transaction rolled back, inbox entry included: nothing is recorded until the resync is.
            result = resync(activity);
        }
        observer.consumed(result);
        return result;
    }

    /** Applies the event if it is the user's next one; throws {@link GapFound} (rolling back) if it is not. */
    private static ConsumeResult applyInOrder(StatsTransaction tx, UserActivity activity, Instant now) {
        if (!tx.markProcessed(activity.eventId())) {
            return ConsumeResult.DUPLICATE;
        }
        Optional<UserStats> locked = tx.lockStats(activity.userId());
        if (locked.isEmpty()) {
            if (activity.type() != ActivityType.CREATED || activity.version() != 1) {
                throw GapFound.INSTANCE;
            }
            tx.save(UserStats.start(activity, now));
            return ConsumeResult.APPLIED;
        }
        UserStats stats = locked.get();
        if (activity.version() <= stats.lastEventVersion()) {
            // Another delivery of this event (under another id), or a resync that already covered it.
            return ConsumeResult.DUPLICATE;
        }
        if (activity.version() != stats.lastEventVersion() + 1) {
            throw GapFound.INSTANCE;
        }
        tx.save(stats.apply(activity, now));
        return ConsumeResult.APPLIED;
    }

    /**
     * Rebuilds the user's stats from its history, which must include {@code activity}, and records the
     * event. The history is fetched before the transaction; if a concurrent consumer got further in the
     * meantime, its row is kept.
     */
    private ConsumeResult resync(UserActivity activity) {
        UUID userId = activity.userId();
        List<UserActivity> history = historyForResync(activity);
        requireHistoryReaches(history, activity);
        long latest = history.getLast().version();
        Instant now = clock.now();
        return store.inTransaction(tx -> {
            if (!tx.markProcessed(activity.eventId())) {
                return ConsumeResult.DUPLICATE;
            }
            Optional<UserStats> locked = tx.lockStats(userId);
            if (locked.isPresent() && locked.get().lastEventVersion() >= latest) {
                return ConsumeResult.RESYNCED;
            }
            UserStats rebuilt = fold(userId, history, now, locked.map(UserStats::repairedAt).orElse(null));
            tx.save(locked.map(existing -> keepCreatedAt(rebuilt, existing.createdAt())).orElse(rebuilt));
            return ConsumeResult.RESYNCED;
        });
    }

    // ---- consuming a batch of events ----

    /**
     * The batch in ONE store transaction: the inbox entries of all its events in one go, the stats of all
     * its users locked in one go, each user's events folded in memory in batch order, and every changed row
     * saved in one go. Each event gets the outcome {@link #consume} would give it.
     *
     * <p>A user whose events do not follow its stats needs its history from user-service, which is never
     * asked inside a transaction: such a transaction is rolled back ({@link GapsFound}), the histories are
     * fetched, and the batch is run again with them; its events of those users then resync as in
     * {@link #resync}. Only the final run commits, so the batch is all or nothing.
     */
    @Override
    public List<ConsumeResult> consumeAll(List<UserActivity> activities) {
        Objects.requireNonNull(activities, "activities");
        if (activities.isEmpty()) {
            return List.of();
        }
        Map<UUID, List<UserActivity>> histories = new HashMap<>();
        List<ConsumeResult> results;
        while (true) {
            Instant now = clock.now();
            try {
                results = store.inTransaction(tx -> applyBatch(tx, activities, histories, now));
                break;
            } catch (GapsFound gaps) {
                // Rolled back, inbox entries included. Every round adds at least one user, so this ends.
                for (Map.Entry<UUID, UserActivity> gap : gaps.firstEventOfUser.entrySet()) {
                    histories.put(gap.getKey(), historyForResync(gap.getValue()));
                }
            }
        }
        results.forEach(observer::consumed);
        return results;
    }

    private static List<ConsumeResult> applyBatch(StatsTransaction tx, List<UserActivity> activities,
                                                  Map<UUID, List<UserActivity>> histories, Instant now) {
        Set<UUID> eventIds = new LinkedHashSet<>();
        Set<UUID> userIds = new LinkedHashSet<>();
        for (UserActivity activity : activities) {
            eventIds.add(activity.eventId());
            userIds.add(activity.userId());
        }
        Set<UUID> fresh = new HashSet<>(tx.markAllProcessed(eventIds));
        Map<UUID, UserStats> current = new HashMap<>(tx.lockAllStats(userIds));
        Map<UUID, UserStats> changed = new LinkedHashMap<>();
        Map<UUID, UserActivity> gaps = new LinkedHashMap<>();
        List<ConsumeResult> results = new ArrayList<>(activities.size());
        for (UserActivity activity : activities) {
            UUID userId = activity.userId();
            // remove: a second copy of the event in this batch is a duplicate of the first.
            if (!fresh.remove(activity.eventId())) {
                results.add(ConsumeResult.DUPLICATE);
                continue;
            }
            if (gaps.containsKey(userId)) {
                results.add(null); // the batch runs again with this user's history
                continue;
            }
            UserStats stats = current.get(userId);
            ConsumeResult result;
            UserStats next = null;
            if (stats == null && activity.type() == ActivityType.CREATED && activity.version() == 1) {
                next = UserStats.start(activity, now);
                result = ConsumeResult.APPLIED;
            } else if (stats != null && activity.version() <= stats.lastEventVersion()) {
                // Another delivery of this event (under another id), or a resync that already covered it.
                result = ConsumeResult.DUPLICATE;
            } else if (stats != null && activity.version() == stats.lastEventVersion() + 1) {
                next = stats.apply(activity, now);
                result = ConsumeResult.APPLIED;
            } else {
                List<UserActivity> history = histories.get(userId);
                if (history == null) {
                    gaps.put(userId, activity);
                    results.add(null);
                    continue;
                }
                requireHistoryReaches(history, activity);
                long latest = history.getLast().version();
                if (stats == null || stats.lastEventVersion() < latest) {
                    UserStats rebuilt = fold(userId, history, now, stats == null ? null : stats.repairedAt());
                    next = stats == null ? rebuilt : keepCreatedAt(rebuilt, stats.createdAt());
                }
                result = ConsumeResult.RESYNCED;
            }
            if (next != null) {
                current.put(userId, next);
                changed.put(userId, next);
            }
            results.add(result);
        }
        if (!gaps.isEmpty()) {
            throw new GapsFound(gaps);
        }
        tx.saveAll(changed.values());
        return results;
    }

    /**
     * Thrown inside a batch's transaction to roll it back when events of some users do not follow their
     * stats and the users' histories have not been fetched yet; caught by {@link #consumeAll}.
     */
    private static final class GapsFound extends RuntimeException {
        final Map<UUID, UserActivity> firstEventOfUser;

        GapsFound(Map<UUID, UserActivity> firstEventOfUser) {
            super("events do not follow the stored stats of " + firstEventOfUser.size() + " users", null, false, false);
            this.firstEventOfUser = firstEventOfUser;
        }
    }

    /** The history of the user of {@code activity}, asked of user-service outside any transaction. */
    private List<UserActivity> historyForResync(UserActivity activity) {
        UUID userId = activity.userId();
        return directory.history(userId).filter(events -> !events.isEmpty())
                .orElseThrow(() -> new IllegalStateException("user-service does not know user " + userId
                        + ", yet event " + activity.eventId() + " (version " + activity.version()
                        + ") is about it; cannot resync its stats"));
    }

    /** Recording the event as processed with a history that lacks it would lose it for good. */
    private static void requireHistoryReaches(List<UserActivity> history, UserActivity activity) {
        long latest = history.getLast().version();
        if (latest < activity.version()) {
            throw new IllegalStateException("user-service's history of user " + activity.userId()
                    + " ends at version " + latest + ", before event " + activity.eventId() + " (version "
                    + activity.version() + "); cannot resync its stats");
        }
    }

    /** The row keeps saying when it was first written, however often it is rebuilt. */
    private static UserStats keepCreatedAt(UserStats stats, Instant createdAt) {
        return new UserStats(stats.userId(), stats.status(), stats.memberSince(), stats.profileUpdates(),
                stats.emailChanges(), stats.passwordChanges(), stats.lastActivityAt(), stats.lastEventVersion(),
                stats.repairedAt(), createdAt, stats.updatedAt());
    }

    /**
     * Thrown inside the consuming transaction to roll it back when the event does not follow the stored
     * stats; caught by {@link #consume}. Without a stack trace: it is control flow, not a failure.
     */
    private static final class GapFound extends RuntimeException {
        static final GapFound INSTANCE = new GapFound();

        private GapFound() {
            super("the event does not follow the stored stats", null, false, false);
        }
    }

    // ---- reconciliation ----

    @Override
    public int reconcile() {
        int created = 0;
        String pageToken = "";
        do {
            DirectoryPage page = directory.listUserIds(pageToken, RECONCILE_PAGE_SIZE);
            for (UUID userId : page.userIds()) {
                try {
                    if (findOrRepair(userId).created()) {
                        created++;
                    }
                } catch (NotFoundException e) {
                    // Listed a moment ago, unknown now: user-service is inconsistent; the others still count.
                    LOG.warning(() -> "user " + userId + " was listed by user-service but has no history there");
                }
            }
            if (!page.nextPageToken().isEmpty() && page.nextPageToken().equals(pageToken)) {
                throw new IllegalStateException("user-service returned page token " + pageToken
                        + " for the page after itself; reconciliation would never end");
            }
            pageToken = page.nextPageToken();
        } while (!pageToken.isEmpty());
        return created;
    }

    // ---- shared ----

    /** {@link UserStats#fromHistory}, with user-service named as the culprit if its history cannot be folded. */
    private static UserStats fold(UUID userId, List<UserActivity> history, Instant now, Instant repairedAt) {
        if (!history.getFirst().userId().equals(userId)) {
            throw new IllegalStateException("user-service answered the history of user " + history.getFirst().userId()
                    + " when asked for user " + userId);
        }
        try {
            return UserStats.fromHistory(history, now, repairedAt);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("user-service's history of user " + userId + " cannot be folded into stats: "
                    + e.getMessage(), e);
        }
    }
}
