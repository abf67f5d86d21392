package io.userstream.domain.user;

import java.util.Optional;

/**
 * A partial profile update: an empty {@link Optional} keeps the current value, a present one
 * (possibly the empty string, which clears the field) replaces it. Values are already validated.
 */
public record ProfileChange(Optional<String> firstName, Optional<String> lastName, Optional<String> avatarUrl) {

    /** The profile that results from applying this change to {@code current}. */
    public Profile applyTo(Profile current) {
        return new Profile(
                firstName.orElse(current.firstName()),
                lastName.orElse(current.lastName()),
                avatarUrl.orElse(current.avatarUrl()));
    }
}
