package io.userstream.adapters.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import io.userstream.domain.user.PasswordHash;
import io.userstream.domain.user.PlainPassword;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** bcrypt hashes carried over from a legacy system verify, and are due for a rehash to Argon2id. */
class LegacyBcryptHashesTest {

    /**
     * Made by another implementation (glibc's libxcrypt, through Python's {@code crypt.crypt} with
     * {@code METHOD_BLOWFISH}, cost 10) from "correct horse battery staple".
     */
    static final String LIBXCRYPT_2B = "$2b$10$kAXmj7nS18DApr1RDVbI/eLOmRxZ1LXn2OM3ZGQ7Gc.WGsTwHKpsS";

    private final Argon2idPasswordHasher hasher = new Argon2idPasswordHasher(Argon2idPasswordHasher.OWASP);

    /** $2a$ (old OpenBSD, Spring) and $2y$ (PHP) give the same hash as $2b$ for an ASCII password under 72 bytes. */
    @ParameterizedTest
    @ValueSource(strings = {"2a", "2b", "2y"})
    void a_bcrypt_hash_from_another_implementation_verifies_the_right_password_only(String variant) {
        PasswordHash legacy = new PasswordHash(LIBXCRYPT_2B.replaceFirst("2b", variant));

        assertThat(hasher.canVerify(legacy)).isTrue();
        assertThat(hasher.matches(PlainPassword.parse("correct horse battery staple"), legacy)).isTrue();
        assertThat(hasher.matches(PlainPassword.parse("correct horse battery stapler"), legacy)).isFalse();
    }

    @Test
    void a_verified_bcrypt_hash_is_due_for_a_rehash_to_argon2id() {
        assertThat(hasher.needsRehash(new PasswordHash(LIBXCRYPT_2B))).isTrue();
        assertThat(hasher.needsRehash(hasher.hash(PlainPassword.parse("correct horse battery staple")))).isFalse();
    }

    @Test
    void an_unknown_or_broken_scheme_cannot_be_verified_and_never_matches() {
        PasswordHash md5crypt = new PasswordHash("$1$saltsalt$qjXMvbEw8oaL.CzflDugX/");
        PasswordHash truncated = new PasswordHash(LIBXCRYPT_2B.substring(0, 40));

        assertThat(hasher.canVerify(md5crypt)).isFalse();
        assertThat(hasher.canVerify(truncated)).isFalse();
        assertThat(hasher.matches(PlainPassword.parse("correct horse battery staple"), md5crypt)).isFalse();
        assertThat(hasher.matches(PlainPassword.parse("correct horse battery staple"), truncated)).isFalse();
    }
}
