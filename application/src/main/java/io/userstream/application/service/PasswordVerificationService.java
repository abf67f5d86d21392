package io.userstream.application.service;

import io.userstream.application.port.in.ChangePasswordUseCase;
import io.userstream.application.port.in.CommandContext;
import io.userstream.application.port.in.TooManyAttemptsException;
import io.userstream.application.port.in.VerifyPasswordUseCase;
import io.userstream.application.port.out.PasswordHasher;
import io.userstream.application.port.out.RecordedUserEvent;
import io.userstream.application.port.out.Reservation;
import io.userstream.application.port.out.UserEventStore;
import io.userstream.application.support.AttemptLimiter;
import io.userstream.domain.user.Email;
import io.userstream.domain.user.FieldViolations;
import io.userstream.domain.user.InvalidValueException;
import io.userstream.domain.user.PasswordHash;
import io.userstream.domain.user.PlainPassword;
import io.userstream.domain.user.User;
import io.userstream.domain.user.UserId;
import io.userstream.domain.user.UserStatus;
import io.userstream.domain.user.Username;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@link VerifyPasswordUseCase}: the user is found through the reservations (as current as the last
 * acknowledged command), its hash loaded from its stream, and the password compared on the bounded hashing
 * pool.
 *
 * <p>Same work for every failure: an unknown login, or a password outside the policy, is compared against a
 * dummy hash made with the current parameters, so the answer's timing does not tell an unknown user from a
 * wrong password. A correct password stored with weaker parameters is hashed again ({@code PasswordChanged},
 * actor {@value #REHASH_ACTOR}), so raised Argon2 settings reach every active user.
 *
 * <p>Audit: one line per attempt on logger {@value #AUDIT_LOGGER} (login, user id if known, caller, result),
 * never the password or its hash.
 */
public final class PasswordVerificationService implements VerifyPasswordUseCase {

    /** The logger of the audit lines, so that operators can route them apart. */
    public static final String AUDIT_LOGGER = "io.userstream.audit.password";
    /** The actor recorded on the {@code PasswordChanged} of a rehash. */
    public static final String REHASH_ACTOR = "userstream:rehash-on-verify";

    private static final Logger AUDIT = Logger.getLogger(AUDIT_LOGGER);
    private static final Logger LOG = Logger.getLogger(PasswordVerificationService.class.getName());
    private static final int MAX_LOGIN = 320;

    private final UserEventStore eventStore;
    private final PasswordHasher hasher;
    private final ChangePasswordUseCase changePassword;
    private final AttemptLimiter perAccount;
    private final AttemptLimiter perCaller;
    private final PasswordHash dummy;

    /**
     * @param hasher         compares (on the bounded pool) and tells stale hashes
     * @param changePassword stores the rehash of a stale hash
     * @param perAccount     failures allowed per login
     * @param perCaller      failures allowed per caller (the verified actor)
     */
    public PasswordVerificationService(UserEventStore eventStore, PasswordHasher hasher,
                                       ChangePasswordUseCase changePassword, AttemptLimiter perAccount,
                                       AttemptLimiter perCaller) {
        this.eventStore = Objects.requireNonNull(eventStore, "eventStore");
        this.hasher = Objects.requireNonNull(hasher, "hasher");
        this.changePassword = Objects.requireNonNull(changePassword, "changePassword");
        this.perAccount = Objects.requireNonNull(perAccount, "perAccount");
        this.perCaller = Objects.requireNonNull(perCaller, "perCaller");
        // Made once, with today's parameters: comparing against it costs what comparing against a real one does.
        this.dummy = hasher.hash(PlainPassword.parse("no user has this password " + System.nanoTime()));
    }

    @Override
    public Verification verifyPassword(VerifyPassword command, CommandContext context) {
        FieldViolations violations = new FieldViolations();
        String login = command.login().strip();
        if (login.isEmpty() || login.length() > MAX_LOGIN) {
            violations.add("login", "must be a username or an e-mail address of 1-" + MAX_LOGIN + " characters");
        }
        if (command.password().isEmpty() || command.password().length() > 1024) {
            violations.add("password", "must be 1-1024 characters");
        }
        violations.throwIfAny();

        String accountKey = login.toLowerCase(Locale.ROOT);
        String callerKey = context.actor();
        refuseIfBlocked(perAccount, accountKey, "this account", login, context);
        refuseIfBlocked(perCaller, callerKey, "this caller", login, context);

        Optional<PlainPassword> candidate = parse(command.password());
        Optional<User> user = find(login).filter(found -> found.status() != UserStatus.DELETED);
        // The same single comparison whatever the case: against the user's hash, or the dummy one.
        PasswordHash stored = user.map(User::passwordHash).orElse(dummy);
        boolean matches = hasher.matches(candidate.orElseGet(() -> PlainPassword.parse("x".repeat(16))), stored);
        boolean valid = matches && user.isPresent() && candidate.isPresent();
        if (!valid) {
            perAccount.failed(accountKey);
            perCaller.failed(callerKey);
            audit(login, user.map(User::id), context, "failed");
            return Verification.INVALID;
        }
        perAccount.succeeded(accountKey);
        User verified = user.get();
        audit(login, Optional.of(verified.id()), context, "verified");
        if (hasher.needsRehash(verified.passwordHash())) {
            rehash(verified, command.password(), context);
        }
        return new Verification(true, Optional.of(verified.id()), Optional.of(verified.status()));
    }

    private void refuseIfBlocked(AttemptLimiter limiter, String key, String who, String login, CommandContext context) {
        Optional<Duration> wait = limiter.blockedFor(key);
        if (wait.isPresent()) {
            audit(login, Optional.empty(), context, "refused: too many failed attempts for " + who);
            throw new TooManyAttemptsException("too many failed password checks for " + who + "; retry in "
                    + Math.max(1, wait.get().toSeconds()) + " s", wait.get());
        }
    }

    /** The user the login names, from the reservations; empty if none (or the login is no valid name). */
    private Optional<User> find(String login) {
        Reservation reservation;
        try {
            reservation = login.contains("@") ? Reservation.of(Email.parse(login)) : Reservation.of(Username.parse(login));
        } catch (InvalidValueException notAName) {
            return Optional.empty();
        }
        return eventStore.holder(reservation).flatMap(this::load);
    }

    private Optional<User> load(UserId id) {
        List<RecordedUserEvent> history = eventStore.load(id);
        return history.isEmpty() ? Optional.empty()
                : Optional.of(User.fromHistory(history.stream().map(RecordedUserEvent::event).toList()));
    }

    private static Optional<PlainPassword> parse(String password) {
        try {
            return Optional.of(PlainPassword.parse(password));
        } catch (InvalidValueException outsidePolicy) {
            return Optional.empty();
        }
    }

    private void rehash(User user, String password, CommandContext context) {
        try {
            changePassword.changePassword(new ChangePasswordUseCase.ChangePassword(user.id().toString(), password,
                    OptionalLong.of(user.version())), new CommandContext(context.correlationId(),
                    context.causationId(), REHASH_ACTOR));
            AUDIT.info(() -> "password rehashed with the current parameters user=" + user.id());
        } catch (RuntimeException e) {
            // The user changed meanwhile, or hashing is busy: the next successful check tries again.
            LOG.log(Level.FINE, "rehash of user " + user.id() + " skipped", e);
        }
    }

    private static void audit(String login, Optional<UserId> user, CommandContext context, String result) {
        AUDIT.info(() -> "password check login=" + login.replaceAll("\\p{Cntrl}", "?") + " user="
                + user.map(UserId::toString).orElse("-") + " caller=" + context.actor() + " correlation="
                + context.correlationId() + " result=" + result);
    }
}
