package io.userstream.domain.user;

import java.util.List;

/**
 * Why a command was refused. Rejections are data: adapters map each kind, in one place, to their
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

    /** The user is deleted, and nothing changes a deleted user. */
    record UserIsDeleted(UserId userId) implements UserRejection {
        @Override
        public String message() {
            return "user " + userId + " is deleted";
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
}
