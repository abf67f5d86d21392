package io.userstream.domain.user;

import java.util.List;

/**
 * Why a command or query was refused. Rejections are data: adapters map each kind, in one place, to their
 * own vocabulary (a gRPC status code, say).
 */
public sealed interface UserRejection {

    /** A human-readable explanation, safe to show to the caller. */
    String message();

    /** One or more input fields are malformed. */
    record InvalidInput(List<FieldViolation> violations) implements UserRejection {
        public InvalidInput {
            violations = List.copyOf(violations);
        }

        @Override
        public String message() {
            StringBuilder text = new StringBuilder("invalid request: ");
            for (int i = 0; i < violations.size(); i++) {
                FieldViolation v = violations.get(i);
                text.append(i == 0 ? "" : "; ").append(v.field()).append(' ').append(v.reason());
            }
            return text.toString();
        }
    }

    /** Another user already holds this e-mail address. */
    record EmailAlreadyTaken(Email email) implements UserRejection {
        @Override
        public String message() {
            return "email " + email + " is already taken";
        }
    }

    /** Another user already holds this username. */
    record UsernameAlreadyTaken(Username username) implements UserRejection {
        @Override
        public String message() {
            return "username " + username + " is already taken";
        }
    }

    /** No user has this id. */
    record UserNotFound(UserId userId) implements UserRejection {
        @Override
        public String message() {
            return "user " + userId + " not found";
        }
    }

    /**
     * The password given to prove who is asking does not match the user's. Says nothing more (not
     * whether the user exists, nor how close the guess was).
     */
    record WrongPassword(String field) implements UserRejection {
        @Override
        public String message() {
            return field + " does not match";
        }
    }

    /** The user is deleted, and nothing changes a deleted user. */
    record UserIsDeleted(UserId userId) implements UserRejection {
        @Override
        public String message() {
            return "user " + userId + " is deleted";
        }
    }

    /** A username is fixed at registration; a legacy row that renamed an imported user cannot be followed. */
    record UsernameIsImmutable(UserId userId, Username current, Username requested) implements UserRejection {
        @Override
        public String message() {
            return "user " + userId + " has username '" + current.value() + "'; a username cannot change (asked for '"
                    + requested.value() + "')";
        }
    }

    /** The caller expected another version of the user than the current one. */
    record VersionMismatch(UserId userId, long expectedVersion, long actualVersion) implements UserRejection {
        @Override
        public String message() {
            return "user " + userId + " is at version " + actualVersion + ", not the expected " + expectedVersion;
        }
    }

    /** Concurrent writers kept changing the user while the command was retried; try again. */
    record ConcurrencyConflict(UserId userId, int attempts) implements UserRejection {
        @Override
        public String message() {
            return "user " + userId + " was changed concurrently " + attempts + " times in a row; retry the command";
        }
    }

    /** No user that is not deleted holds this e-mail address (compared ignoring case). */
    record NoUserWithEmail(Email email) implements UserRejection {
        @Override
        public String message() {
            return "no user has the email " + email;
        }
    }

    /** No user that is not deleted holds this username. */
    record NoUserWithUsername(Username username) implements UserRejection {
        @Override
        public String message() {
            return "no user has the username " + username;
        }
    }

    /**
     * The caller asked for a version of the user its history has not reached. Unlike
     * {@link VersionMismatch} this is about reading a past state, not about a command's precondition.
     */
    record VersionNotFound(UserId userId, long requestedVersion, long latestVersion) implements UserRejection {
        @Override
        public String message() {
            return "user " + userId + " has no version " + requestedVersion + "; its latest is " + latestVersion;
        }
    }

    /**
     * The read model, which follows the event log asynchronously, had not caught up with the version
     * the caller has already seen when the call's deadline came. Returning the older state instead
     * would break read-your-writes; the same call may succeed a moment later.
     *
     * @param seenVersion the version the read model showed last, 0 if it did not show the user at all
     */
    record ReadModelBehind(UserId userId, long minVersion, long seenVersion) implements UserRejection {
        @Override
        public String message() {
            String seen = seenVersion == 0 ? "does not show user " + userId + " yet"
                    : "shows user " + userId + " at version " + seenVersion;
            return "the read model " + seen + ", not at version " + minVersion + " or later, before the deadline; retry shortly";
        }
    }
}
