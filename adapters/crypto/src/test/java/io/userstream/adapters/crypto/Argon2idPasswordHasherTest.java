package io.userstream.adapters.crypto;

import io.userstream.domain.user.PasswordHash;
import io.userstream.domain.user.PlainPassword;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class Argon2idPasswordHasherTest {

    private final Argon2idPasswordHasher hasher = new Argon2idPasswordHasher(Argon2idPasswordHasher.OWASP);

    @Test
    void hashes_are_argon2id_phc_strings_with_owasp_parameters_and_never_contain_the_password() {
        PasswordHash hash = hasher.hash(PlainPassword.parse("correct horse battery"));

        assertThat(hash.encoded()).startsWith("$argon2id$v=19$m=19456,t=2,p=1$");
        assertThat(hash.encoded()).doesNotContain("correct horse battery");
    }

    @Test
    void the_right_password_matches_and_a_wrong_one_does_not() {
        PasswordHash hash = hasher.hash(PlainPassword.parse("correct horse battery"));

        assertThat(hasher.matches(PlainPassword.parse("correct horse battery"), hash)).isTrue();
        assertThat(hasher.matches(PlainPassword.parse("correct horse batterY"), hash)).isFalse();
    }

    @Test
    void the_same_password_hashes_differently_each_time_because_of_the_salt() {
        PlainPassword password = PlainPassword.parse("same password twice");

        assertThat(hasher.hash(password)).isNotEqualTo(hasher.hash(password));
    }

    @Test
    void hashes_made_with_other_parameters_still_verify() {
        Argon2idPasswordHasher cheaper = new Argon2idPasswordHasher(new Argon2idPasswordHasher.Parameters(1024, 1, 1));
        PasswordHash old = cheaper.hash(PlainPassword.parse("an older password"));

        assertThat(old.encoded()).contains("m=1024,t=1,p=1");
        assertThat(hasher.matches(PlainPassword.parse("an older password"), old)).isTrue();
    }

    @Test
    void a_foreign_hash_format_does_not_match() {
        assertThat(hasher.matches(PlainPassword.parse("whatever123"), new PasswordHash("$2b$10$abcdefghijklmnopqrstuv")))
                .isFalse();
    }
}
