package io.userstream.domain.user;

import java.util.Objects;

/** Carries a {@link UserRejection} out of a command; it is an expected outcome, so it has no stack trace. */
public final class UserRejectedException extends RuntimeException {

    private final transient UserRejection rejection;

    public UserRejectedException(UserRejection rejection) {
        super(Objects.requireNonNull(rejection, "rejection").message(), null, false, false);
        this.rejection = rejection;
    }

    public UserRejection rejection() {
        return rejection;
    }
}
