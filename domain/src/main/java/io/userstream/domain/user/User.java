package io.userstream.domain.user;

import io.userstream.domain.user.UserEvent.EmailChanged;
import io.userstream.domain.user.UserEvent.PasswordChanged;
import io.userstream.domain.user.UserEvent.ProfileUpdated;
import io.userstream.domain.user.UserEvent.UserActivated;
import io.userstream.domain.user.UserEvent.UserCreated;
import io.userstream.domain.user.UserEvent.UserDeactivated;
import io.userstream.domain.user.UserEvent.UserDeleted;
import io.userstream.domain.user.UserEvent.UserErased;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The User aggregate: an immutable snapshot of one user, folded from its events.
 *
 * <p>Command methods decide: they check invariants against the current state and return the new
 * events (an empty list when the command changes nothing), or throw {@link UserRejectedException}.
 * {@link #evolve} applies one event and never fails. Inputs arrive as already-validated value types.
 *
 * <p>Idempotent commands: activating an active user, deactivating an inactive one, changing the
 * e-mail to the current address or updating the profile to what it already is are accepted and
 * record nothing, so a client may safely retry them. Every command on a deleted user is rejected
 * with {@link UserRejection.UserIsDeleted}, deleting it again included.
 */
public final class User {

    private final UserId id;
    private final Email email;
    private final Username username;
    private final PasswordHash passwordHash;
    private final Profile profile;
    private final UserStatus status;
    private final Instant createdAt;
    private final Instant updatedAt;
    private final Instant deletedAt;
    private final long version;
    private final boolean erased;

    private User(UserId id, Email email, Username username, PasswordHash passwordHash, Profile profile,
                 UserStatus status, Instant createdAt, Instant updatedAt, Instant deletedAt, long version,
                 boolean erased) {
        this.id = id;
        this.email = email;
        this.username = username;
        this.passwordHash = passwordHash;
        this.profile = profile;
        this.status = status;
        this.createdAt = createdAt;
        this.updatedAt = updatedAt;
        this.deletedAt = deletedAt;
        this.version = version;
        this.erased = erased;
    }

    /** Decides the registration of a new user. */
    public static List<UserEvent> create(UserId id, Email email, Username username, PasswordHash passwordHash,
                                         Profile profile, Instant now) {
        return List.of(new UserCreated(id, email, username, passwordHash, profile, now));
    }

    /**
     * Decides the import of a user from a legacy system, as the first events of its stream: the registration,
     * dated when the legacy system registered it, then its deactivation or deletion if the legacy row says so.
     */
    public static List<UserEvent> importLegacy(LegacyUser legacy, Instant now) {
        Instant registered = legacy.createdAt() != null ? legacy.createdAt() : now;
        List<UserEvent> events = new ArrayList<>();
        events.add(new UserCreated(legacy.id(), legacy.email(), legacy.username(), legacy.passwordHash(),
                legacy.profile(), registered));
        switch (legacy.status()) {
            case ACTIVE -> { }
            case INACTIVE -> events.add(new UserDeactivated(legacy.id(), now));
            case DELETED -> events.add(new UserDeleted(legacy.id(), now));
        }
        return List.copyOf(events);
    }

    /**
     * Folds a stream's events, oldest first, into the user they describe (the guide's
     * {@code LoadFromHistory}). The version is the number of events folded.
     *
     * @throws IllegalArgumentException if the history is empty or does not start with {@link UserCreated}
     */
    public static User fromHistory(List<? extends UserEvent> history) {
        if (history.isEmpty() || !(history.getFirst() instanceof UserCreated created)) {
            throw new IllegalArgumentException("a user's history starts with UserCreated");
        }
        User user = new User(created.userId(), created.email(), created.username(), created.passwordHash(),
                created.profile(), UserStatus.ACTIVE, created.occurredAt(), created.occurredAt(), null, 1, false);
        for (UserEvent event : history.subList(1, history.size())) {
            user = user.evolve(event);
        }
        return user;
    }

    /** Applies one event that happened after this state; the version goes up by one. */
    public User evolve(UserEvent event) {
        Instant at = event.occurredAt();
        long next = version + 1;
        return switch (event) {
            case UserCreated created -> throw new IllegalStateException("user " + id + " already exists");
            case EmailChanged changed -> new User(id, changed.newEmail(), username, passwordHash, profile,
                    status, createdAt, at, deletedAt, next, erased);
            case PasswordChanged changed -> new User(id, email, username, changed.passwordHash(), profile,
                    status, createdAt, at, deletedAt, next, erased);
            case ProfileUpdated updated -> new User(id, email, username, passwordHash, updated.profile(),
                    status, createdAt, at, deletedAt, next, erased);
            case UserActivated activated -> new User(id, email, username, passwordHash, profile,
                    UserStatus.ACTIVE, createdAt, at, deletedAt, next, erased);
            case UserDeactivated deactivated -> new User(id, email, username, passwordHash, profile,
                    UserStatus.INACTIVE, createdAt, at, deletedAt, next, erased);
            case UserDeleted deleted -> new User(id, email, username, passwordHash, profile,
                    UserStatus.DELETED, createdAt, at, at, next, erased);
            // Erased implies deleted; a user deleted before keeps its deletion time.
            case UserErased erasure -> new User(id, email, username, passwordHash, Profile.EMPTY,
                    UserStatus.DELETED, createdAt, at, deletedAt != null ? deletedAt : at, next, true);
        };
    }

    /** Applies events in order. */
    public User evolve(List<? extends UserEvent> events) {
        User user = this;
        for (UserEvent event : events) {
            user = user.evolve(event);
        }
        return user;
    }

    /** Decides an e-mail change; the same address again records nothing. */
    public List<UserEvent> changeEmail(Email newEmail, Instant now) {
        requireNotDeleted();
        Objects.requireNonNull(newEmail, "newEmail");
        if (newEmail.equals(email)) {
            return List.of();
        }
        return List.of(new EmailChanged(id, email, newEmail, now));
    }

    /** Decides a password change. Always recorded: a new hash has a new salt, so equality cannot be seen. */
    public List<UserEvent> changePassword(PasswordHash newHash, Instant now) {
        requireNotDeleted();
        return List.of(new PasswordChanged(id, Objects.requireNonNull(newHash, "newHash"), now));
    }

    /** Decides a profile update; a change that leaves the profile as it is records nothing. */
    public List<UserEvent> updateProfile(ProfileChange change, Instant now) {
        requireNotDeleted();
        Profile updated = change.applyTo(profile);
        if (updated.equals(profile)) {
            return List.of();
        }
        return List.of(new ProfileUpdated(id, updated, now));
    }

    /** Decides an activation; an active user stays as is. */
    public List<UserEvent> activate(Instant now) {
        requireNotDeleted();
        return status == UserStatus.ACTIVE ? List.of() : List.of(new UserActivated(id, now));
    }

    /** Decides a deactivation; an inactive user stays as is. */
    public List<UserEvent> deactivate(Instant now) {
        requireNotDeleted();
        return status == UserStatus.INACTIVE ? List.of() : List.of(new UserDeactivated(id, now));
    }

    /** Decides a soft delete. */
    public List<UserEvent> delete(Instant now) {
        requireNotDeleted();
        return List.of(new UserDeleted(id, now));
    }

    /**
     * Decides the erasure of the user's personal data (GDPR right to erasure). Allowed whatever the status,
     * deleted users included; an erased user stays as it is.
     */
    public List<UserEvent> erase(Instant now) {
        return erased ? List.of() : List.of(new UserErased(id, now));
    }

    /**
     * Decides what makes this user equal to its legacy row again, while the legacy system still writes (the
     * migration's dual-write phase): an e-mail change, a password change, a profile update, an activation,
     * deactivation or deletion, in that order; nothing when they agree already.
     *
     * <p>The password is compared by the caller, who knows whether the legacy hash changed since it was last
     * taken ({@code legacyPasswordChanged}): the stored hash may differ from the legacy one only because a
     * successful password check rehashed it to Argon2id, and that is no reason to go back.
     *
     * @throws UserRejectedException {@link UserRejection.UserIsDeleted} if this user is deleted and the row is
     *                               not; {@link UserRejection.UsernameIsImmutable} if the row has another username
     */
    public List<UserEvent> reconcile(LegacyUser legacy, boolean legacyPasswordChanged, Instant now) {
        if (!legacy.id().equals(id)) {
            throw new IllegalArgumentException("legacy user " + legacy.id() + " is not user " + id);
        }
        if (status == UserStatus.DELETED) {
            if (legacy.status() == UserStatus.DELETED) {
                return List.of();
            }
            throw new UserRejectedException(new UserRejection.UserIsDeleted(id));
        }
        if (!legacy.username().equals(username)) {
            throw new UserRejectedException(new UserRejection.UsernameIsImmutable(id, username, legacy.username()));
        }
        List<UserEvent> events = new ArrayList<>(changeEmail(legacy.email(), now));
        if (legacyPasswordChanged && !legacy.passwordHash().equals(passwordHash)) {
            events.addAll(changePassword(legacy.passwordHash(), now));
        }
        if (!legacy.profile().equals(profile)) {
            events.add(new ProfileUpdated(id, legacy.profile(), now));
        }
        switch (legacy.status()) {
            case ACTIVE -> events.addAll(activate(now));
            case INACTIVE -> events.addAll(deactivate(now));
            case DELETED -> events.addAll(delete(now));
        }
        return List.copyOf(events);
    }

    /** Whether the user's personal data has been erased. */
    public boolean erased() {
        return erased;
    }

    private void requireNotDeleted() {
        if (status == UserStatus.DELETED) {
            throw new UserRejectedException(new UserRejection.UserIsDeleted(id));
        }
    }

    public UserId id() {
        return id;
    }

    public Email email() {
        return email;
    }

    public Username username() {
        return username;
    }

    /** The current password hash; for password verification only, never for display. */
    public PasswordHash passwordHash() {
        return passwordHash;
    }

    public Profile profile() {
        return profile;
    }

    public UserStatus status() {
        return status;
    }

    public Instant createdAt() {
        return createdAt;
    }

    public Instant updatedAt() {
        return updatedAt;
    }

    /** When the user was deleted, or null if it is not. */
    public Instant deletedAt() {
        return deletedAt;
    }

    /** Number of events in the user's stream; the version the next append expects. */
    public long version() {
        return version;
    }

    @Override
    public String toString() {
        return "User[id=" + id + ", status=" + status + ", version=" + version + "]";
    }
}
