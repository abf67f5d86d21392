package io.userstream.application.service;

import io.userstream.application.port.in.ActivateUserUseCase;
import io.userstream.application.port.in.ChangeEmailUseCase;
import io.userstream.application.port.in.ChangePasswordUseCase;
import io.userstream.application.port.in.CommandContext;
import io.userstream.application.port.in.CreateUserUseCase;
import io.userstream.application.port.in.DeactivateUserUseCase;
import io.userstream.application.port.in.DeleteUserUseCase;
import io.userstream.application.port.in.EraseUserUseCase;
import io.userstream.application.port.in.UpdateProfileUseCase;
import io.userstream.application.port.in.UserCommand;
import io.userstream.application.port.out.AppendOutcome;
import io.userstream.application.port.out.AppendRequest;
import io.userstream.application.port.out.EventMetadata;
import io.userstream.application.port.out.IdGenerator;
import io.userstream.application.port.out.NewUserEvent;
import io.userstream.application.port.out.PasswordHasher;
import io.userstream.application.port.out.RecordedUserEvent;
import io.userstream.application.port.out.Reservation;
import io.userstream.application.port.out.ReservationChanges;
import io.userstream.application.port.out.TimeSource;
import io.userstream.application.port.out.UserEventStore;
import io.userstream.application.support.RecentUsers;
import io.userstream.domain.user.Email;
import io.userstream.domain.user.FieldViolations;
import io.userstream.domain.user.InvalidValueException;
import io.userstream.domain.user.PasswordHash;
import io.userstream.domain.user.PlainPassword;
import io.userstream.domain.user.Profile;
import io.userstream.domain.user.ProfileChange;
import io.userstream.domain.user.User;
import io.userstream.domain.user.UserEvent;
import io.userstream.domain.user.UserId;
import io.userstream.domain.user.UserRejectedException;
import io.userstream.domain.user.UserRejection;
import io.userstream.domain.user.Username;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.BiFunction;

/**
 * Handles every command on the User aggregate: validate input, load the user from its events,
 * decide, append with the loaded version as the expected one.
 *
 * <p>A version conflict means another writer appended between our load and our append. Deciding
 * again on a fresh load is safe because commands are decided from state, never from the stale
 * snapshot, so the command is retried up to {@link #MAX_ATTEMPTS} times before it is reported as
 * {@link UserRejection.ConcurrencyConflict}. A caller-given expected version is checked against
 * each fresh load, so a retry never applies a conditional command to a version the caller did not see.
 */
public final class UserCommandService implements CreateUserUseCase, ChangeEmailUseCase, ChangePasswordUseCase,
        UpdateProfileUseCase, ActivateUserUseCase, DeactivateUserUseCase, DeleteUserUseCase, EraseUserUseCase {

    /** Attempts per command, the first one included. */
    public static final int MAX_ATTEMPTS = 3;

    private final UserEventStore eventStore;
    private final PasswordHasher passwordHasher;
    private final TimeSource clock;
    private final IdGenerator ids;
    private final RecentUsers recent;

    /** Without a cache of recent users: every command loads its user's stream. */
    public UserCommandService(UserEventStore eventStore, PasswordHasher passwordHasher, TimeSource clock,
                              IdGenerator ids) {
        this(eventStore, passwordHasher, clock, ids, RecentUsers.NONE);
    }

    /** @param recent users written here lately, whose commands may skip the load (see {@link RecentUsers}) */
    public UserCommandService(UserEventStore eventStore, PasswordHasher passwordHasher, TimeSource clock,
                              IdGenerator ids, RecentUsers recent) {
        this.eventStore = eventStore;
        this.passwordHasher = passwordHasher;
        this.clock = clock;
        this.ids = ids;
        this.recent = recent;
    }

    @Override
    public User createUser(CreateUser command, CommandContext context) {
        FieldViolations violations = new FieldViolations();
        Email email = violations.check("email", () -> Email.parse(command.email()));
        Username username = violations.check("username", () -> Username.parse(command.username()));
        PlainPassword password = violations.check("password", () -> PlainPassword.parse(command.password()));
        String firstName = violations.check("first_name", () -> Profile.parseName(command.firstName()));
        String lastName = violations.check("last_name", () -> Profile.parseName(command.lastName()));
        String avatarUrl = violations.check("avatar_url", () -> Profile.parseAvatarUrl(command.avatarUrl()));
        violations.throwIfAny();

        refuseIfAlreadyTaken(email, username);
        // Hash once, outside any retry: Argon2id is deliberately slow.
        PasswordHash hash = passwordHasher.hash(password);
        UserId id = new UserId(ids.newId());
        List<UserEvent> events = User.create(id, email, username, hash,
                new Profile(firstName, lastName, avatarUrl), clock.now());
        // A fresh random id has no stream yet, so only a taken reservation should refuse this append.
        if (!append(id, 0, null, events, context)) {
            throw new UserRejectedException(new UserRejection.ConcurrencyConflict(id, 1));
        }
        User created = User.fromHistory(events);
        recent.put(created);
        return created;
    }

    /**
     * Refuses an e-mail address or username that another user holds already, before the password is hashed:
     * a registration bound to fail must not cost ~80 ms of Argon2id (nor a place in the hashing pool). One
     * cheap read, advisory only: a value claimed after it is still refused by the append's claim.
     */
    private void refuseIfAlreadyTaken(Email email, Username username) {
        Reservation emailKey = Reservation.of(email);
        List<Reservation> held = eventStore.held(List.of(emailKey, Reservation.of(username)));
        if (held.contains(emailKey)) {
            throw new UserRejectedException(new UserRejection.EmailAlreadyTaken(email));
        }
        if (!held.isEmpty()) {
            throw new UserRejectedException(new UserRejection.UsernameAlreadyTaken(username));
        }
    }

    @Override
    public User changeEmail(ChangeEmail command, CommandContext context) {
        FieldViolations violations = new FieldViolations();
        UserId id = violations.check("user_id", () -> UserId.parse(command.userId()));
        Email email = violations.check("new_email", () -> Email.parse(command.newEmail()));
        checkExpectedVersion(violations, command.expectedVersion());
        violations.throwIfAny();
        return decideAndAppend(id, command.expectedVersion(), context, (user, now) -> user.changeEmail(email, now));
    }

    @Override
    public User changePassword(ChangePassword command, CommandContext context) {
        FieldViolations violations = new FieldViolations();
        UserId id = violations.check("user_id", () -> UserId.parse(command.userId()));
        PlainPassword password = violations.check("new_password", () -> PlainPassword.parse(command.newPassword()));
        checkExpectedVersion(violations, command.expectedVersion());
        violations.throwIfAny();
        // Hashed only once the user is known to exist and to be at the expected version, so random ids
        // cannot make the server burn Argon2 time; and at most once, whatever the retries.
        PasswordHash[] hash = new PasswordHash[1];
        PasswordHash[] verifiedAgainst = new PasswordHash[1];
        return decideAndAppend(id, command.expectedVersion(), context, (user, now) -> {
            // Checked against the hash of the very state being changed; a retry on a state with the same hash
            // (a concurrent profile change, say) does not pay for a second Argon2 run.
            if (command.currentPassword().isPresent() && !user.passwordHash().equals(verifiedAgainst[0])) {
                if (!currentPasswordMatches(command.currentPassword().get(), user)) {
                    throw new UserRejectedException(new UserRejection.WrongPassword("current_password"));
                }
                verifiedAgainst[0] = user.passwordHash();
            }
            if (hash[0] == null) {
                hash[0] = passwordHasher.hash(password);
            }
            return user.changePassword(hash[0], now);
        });
    }

    @Override
    public User updateProfile(UpdateProfile command, CommandContext context) {
        FieldViolations violations = new FieldViolations();
        UserId id = violations.check("user_id", () -> UserId.parse(command.userId()));
        Optional<String> firstName = command.firstName().map(raw -> violations.check("first_name", () -> Profile.parseName(raw)));
        Optional<String> lastName = command.lastName().map(raw -> violations.check("last_name", () -> Profile.parseName(raw)));
        Optional<String> avatarUrl = command.avatarUrl().map(raw -> violations.check("avatar_url", () -> Profile.parseAvatarUrl(raw)));
        checkExpectedVersion(violations, command.expectedVersion());
        violations.throwIfAny();
        ProfileChange change = new ProfileChange(firstName, lastName, avatarUrl);
        return decideAndAppend(id, command.expectedVersion(), context, (user, now) -> user.updateProfile(change, now));
    }

    @Override
    public User activateUser(UserCommand command, CommandContext context) {
        return decideAndAppend(parse(command), command.expectedVersion(), context, User::activate);
    }

    @Override
    public User deactivateUser(UserCommand command, CommandContext context) {
        return decideAndAppend(parse(command), command.expectedVersion(), context, User::deactivate);
    }

    @Override
    public User eraseUser(UserCommand command, CommandContext context) {
        UserId id = parse(command);
        User after = decideAndAppend(id, command.expectedVersion(), context, User::erase);
        // Its personal data is not kept in memory either.
        recent.forget(id);
        return after;
    }

    @Override
    public User deleteUser(UserCommand command, CommandContext context) {
        return decideAndAppend(parse(command), command.expectedVersion(), context, User::delete);
    }

    /** Whether {@code given} is {@code user}'s password; a string that is no valid password matches nothing. */
    private boolean currentPasswordMatches(String given, User user) {
        PlainPassword candidate;
        try {
            candidate = PlainPassword.parse(given);
        } catch (InvalidValueException invalid) {
            return false;
        }
        return passwordHasher.matches(candidate, user.passwordHash());
    }

    private static UserId parse(UserCommand command) {
        FieldViolations violations = new FieldViolations();
        UserId id = violations.check("user_id", () -> UserId.parse(command.userId()));
        checkExpectedVersion(violations, command.expectedVersion());
        violations.throwIfAny();
        return id;
    }

    private static void checkExpectedVersion(FieldViolations violations, OptionalLong expectedVersion) {
        if (expectedVersion.isPresent() && expectedVersion.getAsLong() < 1) {
            violations.add("expected_version", "must be at least 1 (a user's first version)");
        }
    }

    static UserId parseId(String raw) {
        FieldViolations violations = new FieldViolations();
        UserId id = violations.check("user_id", () -> UserId.parse(raw));
        violations.throwIfAny();
        return id;
    }

    /**
     * Decides on the user's current state and appends, retrying on a version conflict. The state comes from
     * {@link RecentUsers} when it remembers the user, else from the stream. A remembered state is only a
     * guess: an append proves it was current (the version guard would have refused it otherwise), but any
     * other outcome decided on a guess (a rejection, a version mismatch, nothing to do) is decided again on
     * a fresh load before it is answered, and a conflict forgets the guess.
     */
    private User decideAndAppend(UserId id, OptionalLong expectedVersion, CommandContext context,
                                 BiFunction<User, Instant, List<UserEvent>> decision) {
        Optional<User> guess = recent.get(id);
        for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
            User current = guess.isPresent() ? guess.get() : load(eventStore, id);
            boolean guessed = guess.isPresent();
            guess = Optional.empty();
            List<UserEvent> events;
            try {
                if (expectedVersion.isPresent() && expectedVersion.getAsLong() != current.version()) {
                    throw new UserRejectedException(
                            new UserRejection.VersionMismatch(id, expectedVersion.getAsLong(), current.version()));
                }
                events = decision.apply(current, clock.now());
            } catch (UserRejectedException e) {
                if (guessed) {
                    recent.forget(id);
                    attempt--;          // not an attempt at appending: decide again on the stream itself
                    continue;
                }
                throw e;
            }
            if (events.isEmpty()) {
                if (guessed) {
                    attempt--;
                    continue;
                }
                return current;
            }
            if (append(id, current.version(), current, events, context)) {
                User after = current.evolve(events);
                recent.put(after);
                return after;
            }
            recent.forget(id);
        }
        throw new UserRejectedException(new UserRejection.ConcurrencyConflict(id, MAX_ATTEMPTS));
    }

    /** @return false on a version conflict; throws on a taken reservation */
    private boolean append(UserId id, long expectedVersion, User before, List<UserEvent> events, CommandContext context) {
        return append(eventStore, ids, id, expectedVersion, before, events, context);
    }

    /**
     * Appends the events a decision on {@code before} (null for a new user) produced, with the reservations they
     * imply and the command's metadata, guarded by {@code expectedVersion}. Shared with {@link LegacyImportService}.
     *
     * @return false on a version conflict
     * @throws UserRejectedException if another user holds an e-mail address or username the events claim
     */
    static boolean append(UserEventStore eventStore, IdGenerator ids, UserId id, long expectedVersion, User before,
                          List<UserEvent> events, CommandContext context) {
        List<NewUserEvent> newEvents = events.stream().map(event -> new NewUserEvent(ids.newId(), event)).toList();
        AppendRequest request = new AppendRequest(id, expectedVersion, newEvents,
                ReservationChanges.impliedBy(before, events),
                new EventMetadata(context.correlationId(), context.causationId(), context.actor()));
        return switch (eventStore.append(request)) {
            case AppendOutcome.Appended appended -> true;
            case AppendOutcome.VersionConflict conflict -> false;
            case AppendOutcome.ReservationTaken taken -> throw new UserRejectedException(rejectionFor(taken.reservation(), events));
        };
    }

    private static UserRejection rejectionFor(Reservation reservation, List<UserEvent> events) {
        for (UserEvent event : events) {
            switch (event) {
                case UserEvent.UserCreated created when reservation.kind() == Reservation.Kind.EMAIL ->
                        { return new UserRejection.EmailAlreadyTaken(created.email()); }
                case UserEvent.UserCreated created ->
                        { return new UserRejection.UsernameAlreadyTaken(created.username()); }
                case UserEvent.EmailChanged changed -> { return new UserRejection.EmailAlreadyTaken(changed.newEmail()); }
                default -> { }
            }
        }
        throw new IllegalStateException("reservation " + reservation.kind() + " refused, but no event claimed it");
    }

    /** Loads a user from its events; {@code UserNotFound} if the stream is empty. */
    static User load(UserEventStore eventStore, UserId id) {
        List<RecordedUserEvent> history = eventStore.load(id);
        if (history.isEmpty()) {
            throw new UserRejectedException(new UserRejection.UserNotFound(id));
        }
        return User.fromHistory(history.stream().map(RecordedUserEvent::event).toList());
    }
}
