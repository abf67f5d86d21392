package io.userstream.application.service;

import io.userstream.application.port.in.FindUserByEmailQuery;
import io.userstream.application.port.in.FindUserByUsernameQuery;
import io.userstream.application.port.in.GetUserAtQuery;
import io.userstream.application.port.in.GetUserHistoryQuery;
import io.userstream.application.port.in.GetUserQuery;
import io.userstream.application.port.in.ListUsersQuery;
import io.userstream.application.port.out.AuditTrail;
import io.userstream.application.port.out.RecordedUserEvent;
import io.userstream.application.port.out.TimeSource;
import io.userstream.application.port.out.UserEventStore;
import io.userstream.application.port.out.UserPage;
import io.userstream.application.port.out.UserReadModel;
import io.userstream.application.view.AuditEntry;
import io.userstream.application.view.UserView;
import io.userstream.domain.user.Email;
import io.userstream.domain.user.FieldViolations;
import io.userstream.domain.user.InvalidValueException;
import io.userstream.domain.user.User;
import io.userstream.domain.user.UserEvent;
import io.userstream.domain.user.UserId;
import io.userstream.domain.user.UserRejectedException;
import io.userstream.domain.user.UserRejection;
import io.userstream.domain.user.Username;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;

/**
 * Answers every query on users. Current state comes from the read model (cheap, indexed, a little
 * behind the log); the audit trail and past states come from the event log (complete and current).
 *
 * <p>Read-your-writes: a caller that passes the version its command returned is answered only once
 * the read model shows that version. Until then the read model is read again after short pauses that
 * grow from {@link #FIRST_PAUSE} to {@link #LONGEST_PAUSE} (quick when the projection is only a few
 * milliseconds behind, without hammering the database when it is further behind), never past the
 * caller's deadline.
 */
public final class UserQueryService implements GetUserQuery, FindUserByEmailQuery, FindUserByUsernameQuery,
        ListUsersQuery, GetUserHistoryQuery, GetUserAtQuery {

    /** Users per page when the caller leaves the size to us. */
    public static final int DEFAULT_PAGE_SIZE = 100;
    /** The most users one page may hold: bounds the work and the message size of one call. */
    public static final int MAX_PAGE_SIZE = 1000;

    static final Duration FIRST_PAUSE = Duration.ofMillis(5);
    static final Duration LONGEST_PAUSE = Duration.ofMillis(100);

    /** How the service waits between two reads of a lagging read model; tests replace it with one that moves their clock. */
    @FunctionalInterface
    interface Pause {
        void pause(Duration duration) throws InterruptedException;
    }

    private final UserReadModel readModel;
    private final AuditTrail auditTrail;
    private final UserEventStore eventStore;
    private final TimeSource clock;
    private final Pause pause;

    public UserQueryService(UserReadModel readModel, AuditTrail auditTrail, UserEventStore eventStore,
                            TimeSource clock) {
        this(readModel, auditTrail, eventStore, clock, Thread::sleep);
    }

    UserQueryService(UserReadModel readModel, AuditTrail auditTrail, UserEventStore eventStore, TimeSource clock,
                     Pause pause) {
        this.readModel = Objects.requireNonNull(readModel, "readModel");
        this.auditTrail = Objects.requireNonNull(auditTrail, "auditTrail");
        this.eventStore = Objects.requireNonNull(eventStore, "eventStore");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.pause = Objects.requireNonNull(pause, "pause");
    }

    // ---- current state, from the read model ----

    @Override
    public UserView getUser(String userId, OptionalLong minVersion, Instant deadline) {
        FieldViolations violations = new FieldViolations();
        UserId id = violations.check("user_id", () -> UserId.parse(userId));
        if (minVersion.isPresent() && minVersion.getAsLong() < 1) {
            violations.add("min_version", "must be at least 1 (a user's first version)");
        }
        violations.throwIfAny();
        if (minVersion.isEmpty()) {
            return readModel.findById(id).orElseThrow(() -> rejected(new UserRejection.UserNotFound(id)));
        }
        return awaitVersion(id, minVersion.getAsLong(), Objects.requireNonNull(deadline, "deadline"));
    }

    private UserView awaitVersion(UserId id, long minVersion, Instant deadline) {
        Duration nextPause = FIRST_PAUSE;
        boolean historyChecked = false;
        while (true) {
            Optional<UserView> seen = readModel.findById(id);
            if (seen.isPresent() && seen.get().version() >= minVersion) {
                return seen.get();
            }
            if (!historyChecked) {
                // Once, and only when the read model is behind (so never on the fast path): a version
                // the log has not reached cannot come by waiting, so say so now instead of at the deadline.
                requireHistoryReaches(id, minVersion);
                historyChecked = true;
            }
            Duration remaining = Duration.between(clock.now(), deadline);
            if (!remaining.isPositive()) {
                throw behind(id, minVersion, seen);
            }
            try {
                pause.pause(shorter(nextPause, remaining));
            } catch (InterruptedException e) {
                // The server is shutting down or the call was abandoned: answer with what we know.
                Thread.currentThread().interrupt();
                throw behind(id, minVersion, seen);
            }
            nextPause = shorter(nextPause.multipliedBy(2), LONGEST_PAUSE);
        }
    }

    private static UserRejectedException behind(UserId id, long minVersion, Optional<UserView> seen) {
        return rejected(new UserRejection.ReadModelBehind(id, minVersion, seen.map(UserView::version).orElse(0L)));
    }

    private static Duration shorter(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    private void requireHistoryReaches(UserId id, long minVersion) {
        long latest = history(id).size();
        if (latest < minVersion) {
            throw rejected(new UserRejection.VersionNotFound(id, minVersion, latest));
        }
    }

    @Override
    public UserView findUserByEmail(String email) {
        FieldViolations violations = new FieldViolations();
        Email parsed = violations.check("email", () -> Email.parse(email));
        violations.throwIfAny();
        return readModel.findByEmail(parsed.uniquenessKey())
                .orElseThrow(() -> rejected(new UserRejection.NoUserWithEmail(parsed)));
    }

    @Override
    public UserView findUserByUsername(String username) {
        FieldViolations violations = new FieldViolations();
        Username parsed = violations.check("username", () -> Username.parse(username));
        violations.throwIfAny();
        return readModel.findByUsername(parsed.value())
                .orElseThrow(() -> rejected(new UserRejection.NoUserWithUsername(parsed)));
    }

    @Override
    public Page listUsers(ListUsers request) {
        FieldViolations violations = new FieldViolations();
        int pageSize = request.pageSize() == 0 ? DEFAULT_PAGE_SIZE : request.pageSize();
        if (pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
            violations.add("page_size", "must be 1 to " + MAX_PAGE_SIZE + ", or 0 for " + DEFAULT_PAGE_SIZE);
        }
        Optional<UUID> after = violations.check("page_token", () -> PageToken.decode(request.pageToken()));
        violations.throwIfAny();
        UserPage page = readModel.list(after, pageSize, request.status());
        Optional<String> next = page.hasMore() && !page.users().isEmpty()
                ? Optional.of(PageToken.encode(page.users().getLast().id().value()))
                : Optional.empty();
        return new Page(page.users(), next);
    }

    // ---- the log: audit trail and past states ----

    @Override
    public List<AuditEntry> getUserHistory(String userId) {
        UserId id = UserCommandService.parseId(userId);
        List<AuditEntry> entries = auditTrail.history(id);
        if (entries.isEmpty()) {
            throw rejected(new UserRejection.UserNotFound(id));
        }
        return entries;
    }

    @Override
    public UserView getUserAsOf(String userId, Instant asOf) {
        FieldViolations violations = new FieldViolations();
        UserId id = violations.check("user_id", () -> UserId.parse(userId));
        if (asOf == null) {
            violations.add("as_of", "is required");
        }
        violations.throwIfAny();
        // The longest start of the history that had happened by then: folding must not skip an event,
        // so one stamped later by a skewed clock ends the fold rather than being left out of it.
        List<UserEvent> happened = history(id).stream().takeWhile(event -> !event.occurredAt().isAfter(asOf)).toList();
        if (happened.isEmpty()) {
            throw rejected(new UserRejection.UserNotFound(id));
        }
        return UserView.of(User.fromHistory(happened));
    }

    @Override
    public UserView getUserAtVersion(String userId, long version) {
        FieldViolations violations = new FieldViolations();
        UserId id = violations.check("user_id", () -> UserId.parse(userId));
        if (version < 1) {
            violations.add("version", "must be at least 1 (a user's first version)");
        }
        violations.throwIfAny();
        List<UserEvent> history = history(id);
        if (version > history.size()) {
            throw rejected(new UserRejection.VersionNotFound(id, version, history.size()));
        }
        return UserView.of(User.fromHistory(history.subList(0, (int) version)));
    }

    /** The user's events, oldest first; {@code UserNotFound} if it has none. */
    private List<UserEvent> history(UserId id) {
        List<UserEvent> history = eventStore.load(id).stream().map(RecordedUserEvent::event).toList();
        if (history.isEmpty()) {
            throw rejected(new UserRejection.UserNotFound(id));
        }
        return history;
    }

    private static UserRejectedException rejected(UserRejection rejection) {
        return new UserRejectedException(rejection);
    }

    /**
     * Page tokens: the last id of the previous page, base64url-encoded. Opaque to callers, so the
     * encoding may change without breaking them; tokens are not secret, a caller forging one only
     * chooses where its own listing resumes.
     */
    static final class PageToken {

        private static final String MALFORMED = "is not a token from a previous page; leave it empty for the first page";

        private PageToken() {
        }

        static String encode(UUID lastId) {
            ByteBuffer bytes = ByteBuffer.allocate(16).putLong(lastId.getMostSignificantBits())
                    .putLong(lastId.getLeastSignificantBits());
            return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes.array());
        }

        /** @throws InvalidValueException if {@code token} is neither empty nor one {@link #encode} made */
        static Optional<UUID> decode(String token) {
            if (token == null || token.isEmpty()) {
                return Optional.empty();
            }
            byte[] bytes;
            try {
                bytes = Base64.getUrlDecoder().decode(token);
            } catch (IllegalArgumentException e) {
                throw new InvalidValueException(MALFORMED);
            }
            if (bytes.length != 16) {
                throw new InvalidValueException(MALFORMED);
            }
            ByteBuffer buffer = ByteBuffer.wrap(bytes);
            return Optional.of(new UUID(buffer.getLong(), buffer.getLong()));
        }
    }
}
