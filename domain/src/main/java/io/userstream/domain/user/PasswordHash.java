package io.userstream.domain.user;

import java.util.Objects;

/**
 * A slow, salted password hash in PHC string format (e.g. {@code $argon2id$v=19$m=19456,t=2,p=1$…}).
 * {@link #toString()} is redacted: even hashes stay out of logs.
 *
 * @param encoded the PHC string
 */
public record PasswordHash(String encoded) {

    public PasswordHash {
        Objects.requireNonNull(encoded, "encoded");
        if (!encoded.startsWith("$")) {
            throw new IllegalArgumentException("a password hash must be a PHC string");
        }
    }

    @Override
    public String toString() {
        return "PasswordHash[redacted]";
    }
}
