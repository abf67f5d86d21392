package io.userstream.domain.user;

import java.time.Instant;

/**
 * Facts about one user, in the past tense. They carry business data only: stream version, event
 * id, correlation id and recording time belong to the envelope the application wraps them in.
 *
 * <p>Sealed, so that every {@code switch} over events is exhaustive: an event nobody handles is a
 * compile error, not a silent no-op.
 */
public sealed interface UserEvent {

    /** The user this event is about. */
    UserId userId();

    /** When it happened, by the service's clock. */
    Instant occurredAt();

    /** A user was registered; it starts {@link UserStatus#ACTIVE}. */
    record UserCreated(UserId userId, Email email, Username username, PasswordHash passwordHash,
                       Profile profile, Instant occurredAt) implements UserEvent {
    }

    /** The user's e-mail address changed from {@code oldEmail} to {@code newEmail}. */
    record EmailChanged(UserId userId, Email oldEmail, Email newEmail, Instant occurredAt) implements UserEvent {
    }

    /** The user's password was replaced; only its hash is recorded. */
    record PasswordChanged(UserId userId, PasswordHash passwordHash, Instant occurredAt) implements UserEvent {
    }

    /** The user's profile now reads {@code profile} (the whole profile after the change). */
    record ProfileUpdated(UserId userId, Profile profile, Instant occurredAt) implements UserEvent {
    }

    /** An inactive user was activated. */
    record UserActivated(UserId userId, Instant occurredAt) implements UserEvent {
    }

    /** An active user was deactivated. */
    record UserDeactivated(UserId userId, Instant occurredAt) implements UserEvent {
    }

    /** The user was soft-deleted: the history stays, the user can no longer change. */
    record UserDeleted(UserId userId, Instant occurredAt) implements UserEvent {
    }

    /**
     * The user's personal data was erased (GDPR): its data key is deleted, so the personal part of every
     * event of the user can no longer be read, and the user counts as deleted. Final.
     */
    record UserErased(UserId userId, Instant occurredAt) implements UserEvent {
    }
}
