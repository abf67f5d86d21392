package io.userstream.application.port.out;

import io.userstream.domain.user.PasswordHash;
import io.userstream.domain.user.PlainPassword;

/** Turns passwords into slow, salted hashes. Implementations never store or log the plaintext. */
public interface PasswordHasher {

    /** A fresh hash with a new random salt. */
    PasswordHash hash(PlainPassword password);

    /** Whether {@code password} is the one {@code hash} was made from (in constant time). */
    boolean matches(PlainPassword password, PasswordHash hash);
}
