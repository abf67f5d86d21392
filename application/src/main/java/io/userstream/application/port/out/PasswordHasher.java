package io.userstream.application.port.out;

import io.userstream.domain.user.PasswordHash;
import io.userstream.domain.user.PlainPassword;

/**
 * Turns passwords into slow, salted hashes. Implementations never store or log the plaintext.
 *
 * <p>Both operations cost a full hash (Argon2id: tens of milliseconds of CPU and tens of MiB of memory).
 * A bounded implementation may refuse one at once with {@link PasswordHashingSaturatedException} rather
 * than queue it without limit; callers let that propagate (the API answers "retry later").
 */
public interface PasswordHasher {

    /**
     * A fresh hash with a new random salt.
     *
     * @throws PasswordHashingSaturatedException if no capacity is free to hash now; nothing was hashed
     */
    PasswordHash hash(PlainPassword password);

    /**
     * Whether {@code password} is the one {@code hash} was made from (in constant time).
     *
     * @throws PasswordHashingSaturatedException if no capacity is free to hash now; nothing was compared
     */
    boolean matches(PlainPassword password, PasswordHash hash);

    /**
     * Whether {@code hash} was made with weaker settings than this hasher's now (its parameters were raised
     * since, or it is of another scheme), so that a verified password should be hashed again. Cheap: no
     * hashing.
     */
    default boolean needsRehash(PasswordHash hash) {
        return false;
    }

    /**
     * Whether {@link #matches} can check a password against {@code hash} at all (it knows the scheme). A hash
     * carried over from another system in a scheme it does not know can never match. Cheap: no hashing.
     */
    default boolean canVerify(PasswordHash hash) {
        return true;
    }
}
