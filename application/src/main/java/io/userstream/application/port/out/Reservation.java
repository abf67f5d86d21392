package io.userstream.application.port.out;

import io.userstream.domain.user.Email;
import io.userstream.domain.user.Username;

import java.util.Objects;

/**
 * A unique value held by exactly one user: it cannot be checked against an eventually-consistent
 * read model without a race, so it is claimed in the same transaction as the append.
 *
 * @param kind  which namespace the value lives in
 * @param key   the value as compared for uniqueness (e-mail addresses fully lower-cased)
 */
public record Reservation(Kind kind, String key) {

    /** Namespaces of unique values. */
    public enum Kind {
        EMAIL,
        USERNAME
    }

    public Reservation {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(key, "key");
    }

    public static Reservation of(Email email) {
        return new Reservation(Kind.EMAIL, email.uniquenessKey());
    }

    public static Reservation of(Username username) {
        return new Reservation(Kind.USERNAME, username.value());
    }
}
