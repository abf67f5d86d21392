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
import io.userstream.domain.stats.UserActivity;
import io.userstream.domain.stats.UserStats;
import io.userstream.domain.user.FieldViolations;
import io.userstream.domain.user.UserId;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
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

    public UserStatsService(UserStatsStore store, UserDirectory directory, TimeSource clock, StatsObserver observer) {
        this.store = Objects.requireNonNull(store, "store");
        this.directory = Objects.requireNonNull(directory, "directory");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.observer = Objects.requireNonNull(observer, "observer");
    }

    // ---- reading, with on-read repair ----

    @Override
    public UserStats getUserStats(String userId) {
        FieldViolations violations = new FieldViolations();
        UserId id = violations.check("user_id", () -> UserId.parse(userId));
        violations.throwIfAny();
        return findOrRepair(id.value()).stats();
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
        Optional<List<UserActivity>> history;
        try {
            history = directory.history(userId);
        } catch (UserDirectoryUnavailableException e) {
            observer.repaired(RepairOutcome.UNAVAILABLE);
            throw e;
        }
        if (history.isEmpty() || history.get().isEmpty()) {
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
        List<UserActivity> history = directory.history(userId).filter(events -> !events.isEmpty())
                .orElseThrow(() -> new IllegalStateException("user-service does not know user " + userId
                        + ", yet event " + activity.eventId() + " (version " + activity.version()
                        + ") is about it; cannot resync its stats"));
        long latest = history.getLast().version();
        if (latest < activity.version()) {
            // Recording the event as processed now would lose it for good.
            throw new IllegalStateException("user-service's history of user " + userId + " ends at version "
                    + latest + ", before event " + activity.eventId() + " (version " + activity.version()
                    + "); cannot resync its stats");
        }
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
