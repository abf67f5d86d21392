package io.userstream.domain.stats;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * The statistics of one user, folded from the user's events in stream order. {@code lastEventVersion}
 * is how far the fold got: an event is applied only if it is exactly the next one, so a lost or
 * reordered event is noticed (and the stats rebuilt with {@link #fromHistory}) instead of silently
 * miscounted.
 *
 * @param userId           whose stats these are
 * @param status           the status set by the last status event (ACTIVE from creation)
 * @param memberSince      when the user was created
 * @param profileUpdates   how many times the profile was updated
 * @param emailChanges     how many times the e-mail address was changed
 * @param passwordChanges  how many times the password was changed
 * @param lastActivityAt   when the last event reflected here happened
 * @param lastEventVersion the version of the last event reflected here; the next one must be this + 1
 * @param repairedAt       when the stats were created by repair (on read or by reconciliation) because
 *                         the user's events had not produced them; null for stats created from events
 * @param createdAt        when these stats were first written
 * @param updatedAt        when these stats last changed
 */
public record UserStats(UUID userId, StatsStatus status, Instant memberSince, long profileUpdates,
                        long emailChanges, long passwordChanges, Instant lastActivityAt, long lastEventVersion,
                        Instant repairedAt, Instant createdAt, Instant updatedAt) {

    public UserStats {
        Objects.requireNonNull(userId, "userId");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(memberSince, "memberSince");
        Objects.requireNonNull(lastActivityAt, "lastActivityAt");
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(updatedAt, "updatedAt");
        if (profileUpdates < 0 || emailChanges < 0 || passwordChanges < 0) {
            throw new IllegalArgumentException("counters of user " + userId + " cannot be negative: profileUpdates="
                    + profileUpdates + ", emailChanges=" + emailChanges + ", passwordChanges=" + passwordChanges);
        }
        if (lastEventVersion < 1) {
            throw new IllegalArgumentException("stats of user " + userId
                    + " reflect at least the CREATED event (version 1), not version " + lastEventVersion);
        }
    }

    /**
     * The stats of a user just created: ACTIVE, every counter 0.
     *
     * @param created the user's first event: {@link ActivityType#CREATED} at version 1
     * @param now     when the stats are written
     * @throws IllegalArgumentException if {@code created} is not the CREATED event at version 1
     */
    public static UserStats start(UserActivity created, Instant now) {
        Objects.requireNonNull(created, "created");
        Objects.requireNonNull(now, "now");
        if (created.type() != ActivityType.CREATED || created.version() != 1) {
            throw new IllegalArgumentException("stats of user " + created.userId()
                    + " start with the CREATED event at version 1, not " + created.type() + " at version "
                    + created.version());
        }
        return new UserStats(created.userId(), StatsStatus.ACTIVE, created.occurredAt(), 0, 0, 0,
                created.occurredAt(), 1, null, now, now);
    }

    /**
     * The stats after the user's next event: its counter goes up by one, or its status is taken over.
     *
     * @param next the event at version {@code lastEventVersion + 1} of the same user
     * @param now  when the stats are written
     * @throws IllegalArgumentException if {@code next} belongs to another user, is not the next version,
     *                                  or is a second CREATED
     */
    public UserStats apply(UserActivity next, Instant now) {
        Objects.requireNonNull(next, "next");
        Objects.requireNonNull(now, "now");
        if (!next.userId().equals(userId)) {
            throw new IllegalArgumentException("event " + next.eventId() + " of user " + next.userId()
                    + " cannot apply to the stats of user " + userId);
        }
        if (next.version() != lastEventVersion + 1) {
            throw new IllegalArgumentException("stats of user " + userId + " are at version " + lastEventVersion
                    + ", so the next event must be version " + (lastEventVersion + 1) + ", not "
                    + next.version() + " (event " + next.eventId() + ")");
        }
        StatsStatus newStatus = status;
        long newProfileUpdates = profileUpdates;
        long newEmailChanges = emailChanges;
        long newPasswordChanges = passwordChanges;
        switch (next.type()) {
            case CREATED -> throw new IllegalArgumentException("user " + userId
                    + " was created at version 1; CREATED cannot come again at version " + next.version());
            case EMAIL_CHANGED -> newEmailChanges++;
            case PASSWORD_CHANGED -> newPasswordChanges++;
            case PROFILE_UPDATED -> newProfileUpdates++;
            case ACTIVATED -> newStatus = StatsStatus.ACTIVE;
            case DEACTIVATED -> newStatus = StatsStatus.INACTIVE;
            case DELETED, ERASED -> newStatus = StatsStatus.DELETED;
        }
        return new UserStats(userId, newStatus, memberSince, newProfileUpdates, newEmailChanges, newPasswordChanges,
                next.occurredAt(), next.version(), repairedAt, createdAt, now);
    }

    /**
     * The stats of a user folded from its whole history, for when its events did not produce them (lost,
     * or never consumed).
     *
     * @param history    every event of the user, oldest first: CREATED at version 1, then consecutive versions
     * @param now        when the stats are written
     * @param repairedAt when the stats were repaired, or null if this is not a repair
     * @throws IllegalArgumentException if the history is empty, does not start with CREATED at version 1,
     *                                  skips a version or mixes users
     */
    public static UserStats fromHistory(List<UserActivity> history, Instant now, Instant repairedAt) {
        Objects.requireNonNull(history, "history");
        Objects.requireNonNull(now, "now");
        if (history.isEmpty()) {
            throw new IllegalArgumentException("a user's history has at least the CREATED event; this one is empty");
        }
        UserStats stats = start(history.getFirst(), now);
        for (UserActivity next : history.subList(1, history.size())) {
            stats = stats.apply(next, now);
        }
        return new UserStats(stats.userId, stats.status, stats.memberSince, stats.profileUpdates, stats.emailChanges,
                stats.passwordChanges, stats.lastActivityAt, stats.lastEventVersion, repairedAt, stats.createdAt,
                stats.updatedAt);
    }
}
