package io.userstream.domain.user;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.userstream.domain.user.UserRejection.InvalidInput;

import java.util.UUID;

import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class ValueTypesTest {

    static final String EMOJI = "\uD83D\uDE00"; // 😀, one code point, two UTF-16 chars

    static void assertRefused(ThrowingCallable parse, String reason) {
        assertThatThrownBy(parse)
                .isInstanceOfSatisfying(InvalidValueException.class,
                        e -> assertThat(e.reason()).isEqualTo(reason));
    }

    @Nested
    @DisplayName("Email")
    class EmailTest {

        static final String NOT_AN_EMAIL = "must be an e-mail address such as ada@example.com";

        /** A valid address of exactly {@code length} characters: 64-char local part, long domain. */
        static String emailOfLength(int length) {
            String local = "a".repeat(64);
            String domain = "b".repeat(63) + "." + "c".repeat(63) + "." + "d".repeat(length - 65 - 128 - 4) + ".com";
            String email = local + "@" + domain;
            assertThat(email).hasSize(length);
            return email;
        }

        @ParameterizedTest(name = "\"{0}\" becomes \"{1}\"")
        @CsvSource(delimiter = '|', ignoreLeadingAndTrailingWhitespace = false, value = {
                "ada@example.com|ada@example.com",
                "  ada@example.com  |ada@example.com",
                "ada@EXAMPLE.COM|ada@example.com",
                "Ada.Lovelace@Example.Org|Ada.Lovelace@example.org",
                " ADA+news@Mail.Example.CO.UK |ADA+news@mail.example.co.uk",
        })
        void is_trimmed_and_its_domain_lower_cased_but_the_local_part_keeps_its_case(String raw, String expected) {
            Email email = Email.parse(raw);

            assertThat(email.value()).isEqualTo(expected);
            assertThat(email).hasToString(expected);
        }

        @Test
        void tabs_and_newlines_around_it_are_trimmed() {
            assertThat(Email.parse("\tada@example.com\n").value()).isEqualTo("ada@example.com");
        }

        @Test
        void the_uniqueness_key_lower_cases_everything() {
            assertThat(Email.parse("Ada.Lovelace@Example.ORG").uniquenessKey())
                    .isEqualTo("ada.lovelace@example.org");
        }

        @Test
        void addresses_differing_only_in_local_case_are_different_but_share_a_uniqueness_key() {
            Email lower = Email.parse("ada@example.com");
            Email upper = Email.parse("ADA@example.com");

            assertThat(upper).isNotEqualTo(lower);
            assertThat(upper.uniquenessKey()).isEqualTo(lower.uniquenessKey());
        }

        @Test
        void the_same_address_typed_differently_is_equal() {
            assertThat(Email.parse(" ada@EXAMPLE.com")).isEqualTo(Email.parse("ada@example.COM "));
        }

        @ParameterizedTest(name = "\"{0}\"")
        @ValueSource(strings = {
                "ada.example.com",          // missing @
                "@example.com",             // empty local part
                "ada@",                     // empty domain
                "ada lovelace@example.com", // space in local part
                "ada@exa mple.com",         // space in domain
                "ada@ example.com",         // space after @
                "ada@example",              // no TLD
                "ada@example.",             // empty TLD
                "ada@.example.com",         // empty domain label
                "ada@example..com",         // empty domain label
                "ada..lovelace@example.com",// empty local label
                ".ada@example.com",         // local part starts with a dot
                "ada@-example.com",         // label starts with a hyphen
                "ada@example.123",          // numeric TLD
                "ada@@example.com",         // two @
                "ada@exämple.com",          // non-ASCII domain
        })
        void malformed_addresses_are_refused(String raw) {
            assertRefused(() -> Email.parse(raw), NOT_AN_EMAIL);
        }

        @Test
        void an_address_of_254_characters_is_accepted() {
            String raw = emailOfLength(254);

            assertThat(Email.parse(raw).value()).isEqualTo(raw);
        }

        @Test
        void an_address_of_255_characters_is_refused() {
            String raw = emailOfLength(255);

            assertRefused(() -> Email.parse(raw), NOT_AN_EMAIL);
        }

        @Test
        void the_length_limit_applies_after_trimming() {
            String raw = "   " + emailOfLength(254) + "   ";

            assertThat(Email.parse(raw).value()).hasSize(254);
        }

        @Test
        void a_local_part_over_64_characters_is_refused() {
            assertThat(Email.parse("a".repeat(64) + "@example.com").value()).startsWith("a".repeat(64) + "@");
            assertRefused(() -> Email.parse("a".repeat(65) + "@example.com"), NOT_AN_EMAIL);
        }

        @ParameterizedTest
        @NullAndEmptySource
        @ValueSource(strings = {"   ", "\t\n"})
        void a_missing_address_is_required(String raw) {
            assertRefused(() -> Email.parse(raw), "is required");
        }

        @Test
        void the_constructor_only_takes_normalised_addresses() {
            assertThatThrownBy(() -> new Email("ada@EXAMPLE.com")).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> new Email(" ada@example.com")).isInstanceOf(IllegalArgumentException.class);
            assertThat(new Email("Ada@example.com").value()).isEqualTo("Ada@example.com");
        }
    }

    @Nested
    @DisplayName("Username")
    class UsernameTest {

        @ParameterizedTest(name = "\"{0}\"")
        @ValueSource(strings = {
                "abc",                                // 3: the shortest
                "abcdefghijklmnopqrstuvwxyz012345",   // 32: the longest
                "ada",
                "ada.lovelace",
                "ada_lovelace-1815",
                "...",
                "007",
        })
        void valid_handles_are_kept_as_typed(String raw) {
            assertThat(Username.parse(raw).value()).isEqualTo(raw);
        }

        @Test
        void surrounding_whitespace_is_trimmed() {
            assertThat(Username.parse("  ada.lovelace \t").value()).isEqualTo("ada.lovelace");
        }

        @ParameterizedTest(name = "\"{0}\"")
        @ValueSource(strings = {
                "ab",                                  // 2: too short
                "abcdefghijklmnopqrstuvwxyz0123456",   // 33: too long
                "Ada",                                 // upper case is refused, not folded
                "ADA",
                "ada lovelace",                        // inner space
                "ada@home",
                "ada+1",
                "adä",                                 // non-ASCII letter
                "ada/lovelace",
        })
        void invalid_handles_are_refused(String raw) {
            assertRefused(() -> Username.parse(raw), "must be 3 to 32 characters of a-z, 0-9, '.', '_' or '-'");
        }

        @Test
        void the_boundaries_are_3_and_32_characters() {
            assertThat(Username.parse("a".repeat(3)).value()).hasSize(3);
            assertThat(Username.parse("a".repeat(32)).value()).hasSize(32);
            assertRefused(() -> Username.parse("a".repeat(2)), "must be 3 to 32 characters of a-z, 0-9, '.', '_' or '-'");
            assertRefused(() -> Username.parse("a".repeat(33)), "must be 3 to 32 characters of a-z, 0-9, '.', '_' or '-'");
        }

        @Test
        void trimming_does_not_rescue_a_short_name() {
            assertRefused(() -> Username.parse("  ab  "), "must be 3 to 32 characters of a-z, 0-9, '.', '_' or '-'");
        }

        @ParameterizedTest
        @NullAndEmptySource
        @ValueSource(strings = {"   "})
        void a_missing_handle_is_required(String raw) {
            assertRefused(() -> Username.parse(raw), "is required");
        }
    }

    @Nested
    @DisplayName("PlainPassword")
    class PlainPasswordTest {

        static final String OUT_OF_POLICY = "must be 8 to 128 characters";

        @ParameterizedTest(name = "{0} characters are accepted")
        @ValueSource(ints = {8, 9, 64, 127, 128})
        void lengths_within_policy_are_accepted(int length) {
            String raw = "p".repeat(length);

            assertThat(PlainPassword.parse(raw).reveal()).isEqualTo(raw);
        }

        @ParameterizedTest(name = "{0} characters are refused")
        @ValueSource(ints = {1, 7, 129, 500})
        void lengths_out_of_policy_are_refused(int length) {
            assertRefused(() -> PlainPassword.parse("p".repeat(length)), OUT_OF_POLICY);
        }

        @Test
        void an_emoji_counts_as_one_character() {
            String eight = EMOJI.repeat(8);   // 16 UTF-16 chars
            String seven = EMOJI.repeat(7);   // 14 UTF-16 chars, still only 7 characters
            assertThat(seven).hasSize(14);

            assertThat(PlainPassword.parse(eight).reveal()).isEqualTo(eight);
            assertRefused(() -> PlainPassword.parse(seven), OUT_OF_POLICY);
        }

        @Test
        void the_upper_bound_is_counted_in_code_points_too() {
            String max = EMOJI.repeat(128);   // 256 UTF-16 chars
            String over = EMOJI.repeat(129);

            assertThat(PlainPassword.parse(max).reveal()).isEqualTo(max);
            assertRefused(() -> PlainPassword.parse(over), OUT_OF_POLICY);
        }

        @Test
        void the_secret_is_kept_exactly_as_typed() {
            String raw = "  Tr0ub4dor&3  ";

            assertThat(PlainPassword.parse(raw).reveal()).isEqualTo(raw);
        }

        @ParameterizedTest
        @ValueSource(strings = {"correct horse battery staple", "hunter2hunter2", "Sup3r$ecret!"})
        void to_string_never_reveals_the_secret(String secret) {
            PlainPassword password = PlainPassword.parse(secret);

            assertThat(password.toString()).doesNotContain(secret).isEqualTo("PlainPassword[redacted]");
            assertThat("login with " + password).doesNotContain(secret);
            assertThat(String.valueOf(password)).doesNotContain(secret);
        }

        @ParameterizedTest
        @NullAndEmptySource
        void a_missing_password_is_required(String raw) {
            assertRefused(() -> PlainPassword.parse(raw), "is required");
        }
    }

    @Nested
    @DisplayName("PasswordHash")
    class PasswordHashTest {

        static final String PHC = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo";

        @Test
        void to_string_is_redacted() {
            PasswordHash hash = new PasswordHash(PHC);

            assertThat(hash).hasToString("PasswordHash[redacted]");
            assertThat(hash.toString()).doesNotContain("argon2id").doesNotContain("aGFzaGhhc2hoYXNo");
            assertThat(hash.encoded()).isEqualTo(PHC);
        }

        @Test
        void a_hash_appearing_inside_an_event_is_redacted_too() {
            String event = new UserEvent.PasswordChanged(UserTest.ID, new PasswordHash(PHC), UserTest.T1).toString();

            assertThat(event).doesNotContain(PHC).contains("PasswordHash[redacted]");
        }

        @Test
        void only_phc_strings_are_accepted() {
            assertThatThrownBy(() -> new PasswordHash("plaintext-password")).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> new PasswordHash(null)).isInstanceOf(NullPointerException.class);
        }
    }

    @Nested
    @DisplayName("Profile names")
    class NameTest {

        @Test
        void a_name_of_100_characters_is_accepted() {
            String name = "n".repeat(100);

            assertThat(Profile.parseName(name)).isEqualTo(name);
        }

        @Test
        void a_name_of_101_characters_is_refused() {
            assertRefused(() -> Profile.parseName("n".repeat(101)), "must be at most 100 characters");
        }

        @Test
        void the_limit_counts_code_points() {
            String hundred = EMOJI.repeat(100);    // 200 UTF-16 chars

            assertThat(Profile.parseName(hundred)).isEqualTo(hundred);
            assertRefused(() -> Profile.parseName(EMOJI.repeat(101)), "must be at most 100 characters");
        }

        @Test
        void names_are_trimmed_before_counting() {
            String name = "n".repeat(100);

            assertThat(Profile.parseName("   " + name + "\t")).isEqualTo(name);
        }

        @ParameterizedTest(name = "\"{0}\" becomes \"{1}\"")
        @CsvSource(delimiter = '|', ignoreLeadingAndTrailingWhitespace = false, value = {
                "Ada|Ada",
                "  Ada  |Ada",
                "Ada Augusta|Ada Augusta",
                "Zoë-Ånne O'Brien|Zoë-Ånne O'Brien",
        })
        void names_are_trimmed_and_otherwise_kept(String raw, String expected) {
            assertThat(Profile.parseName(raw)).isEqualTo(expected);
        }

        @ParameterizedTest
        @NullAndEmptySource
        @ValueSource(strings = {"   "})
        void a_missing_name_means_not_given(String raw) {
            assertThat(Profile.parseName(raw)).isEmpty();
        }

        @ParameterizedTest(name = "control char U+{0}")
        @ValueSource(strings = {"0000", "0007", "0009", "000A", "000D", "001B", "007F", "0085", "009F"})
        void control_characters_inside_a_name_are_refused(String hex) {
            String raw = "Ada" + (char) Integer.parseInt(hex, 16) + "Lovelace";

            assertRefused(() -> Profile.parseName(raw), "must not contain control characters");
        }

        @ParameterizedTest(name = "lone surrogate U+{0}")
        @ValueSource(strings = {"D800", "DBFF", "DC00", "DFFF"})
        void an_unpaired_surrogate_is_refused_as_utf8_cannot_store_it(String hex) {
            String raw = "Ada" + (char) Integer.parseInt(hex, 16) + "Lovelace";

            assertRefused(() -> Profile.parseName(raw), "must be valid Unicode text");
            assertThat(Profile.parseName("Ada" + EMOJI)).isEqualTo("Ada" + EMOJI); // a paired one is fine
        }
    }

    @Nested
    @DisplayName("Avatar URL")
    class AvatarUrlTest {

        static final String NOT_HTTP = "must be an absolute http or https URL";

        /** An https URL of exactly {@code length} characters. */
        static String urlOfLength(int length) {
            String prefix = "https://example.com/";
            String url = prefix + "a".repeat(length - prefix.length());
            assertThat(url).hasSize(length);
            return url;
        }

        @ParameterizedTest(name = "\"{0}\"")
        @ValueSource(strings = {
                "https://example.com/ada.png",
                "http://example.com",
                "https://cdn.example.com:8443/avatars/ada.png?size=128#top",
                "HTTPS://EXAMPLE.COM/ADA.PNG",
        })
        void absolute_http_and_https_urls_are_accepted(String raw) {
            assertThat(Profile.parseAvatarUrl(raw)).isEqualTo(raw);
        }

        @Test
        void surrounding_whitespace_is_trimmed() {
            assertThat(Profile.parseAvatarUrl("  https://example.com/ada.png\n")).isEqualTo("https://example.com/ada.png");
        }

        @ParameterizedTest
        @NullAndEmptySource
        @ValueSource(strings = {"   "})
        void an_empty_url_means_no_avatar(String raw) {
            assertThat(Profile.parseAvatarUrl(raw)).isEmpty();
        }

        @ParameterizedTest(name = "\"{0}\"")
        @ValueSource(strings = {
                "ftp://example.com/ada.png",
                "javascript:alert(1)",
                "JavaScript://example.com/%0Aalert(1)",
                "data:image/png;base64,iVBORw0KGgo=",
                "file:///etc/passwd",
                "/avatars/ada.png",
                "avatars/ada.png",
                "example.com/ada.png",
                "//example.com/ada.png",
                "https://",
                "http:///ada.png",
                "https:example.com",
                "https://exa mple.com/ada.png",
        })
        void anything_but_an_absolute_http_url_is_refused(String raw) {
            assertRefused(() -> Profile.parseAvatarUrl(raw), NOT_HTTP);
        }

        @Test
        void an_unpaired_surrogate_is_refused_as_utf8_cannot_store_it() {
            assertRefused(() -> Profile.parseAvatarUrl("https://example.com/ada\uD800.png"), NOT_HTTP);
            assertThat(Profile.parseAvatarUrl("https://example.com/" + EMOJI)).isEqualTo("https://example.com/" + EMOJI);
        }

        @Test
        void a_url_of_2048_characters_is_accepted() {
            String url = urlOfLength(2048);

            assertThat(Profile.parseAvatarUrl(url)).isEqualTo(url);
        }

        @Test
        void a_url_of_2049_characters_is_refused() {
            assertRefused(() -> Profile.parseAvatarUrl(urlOfLength(2049)), "must be at most 2048 characters");
        }
    }

    @Nested
    @DisplayName("UserId")
    class UserIdTest {

        static final String CANONICAL = "0190c8a2-6f3e-7b1a-9c4d-2e5f6a7b8c9d";
        static final String NOT_A_UUID = "must be a UUID such as 0190c8a2-6f3e-7b1a-9c4d-2e5f6a7b8c9d";

        @Test
        void the_canonical_form_is_parsed() {
            UserId id = UserId.parse(CANONICAL);

            assertThat(id.value()).isEqualTo(UUID.fromString(CANONICAL));
            assertThat(id).hasToString(CANONICAL);
        }

        @Test
        void upper_case_and_surrounding_whitespace_are_accepted() {
            assertThat(UserId.parse("  " + CANONICAL.toUpperCase() + " ")).isEqualTo(UserId.parse(CANONICAL));
        }

        @ParameterizedTest(name = "\"{0}\"")
        @ValueSource(strings = {
                "1-2-3-4-5",                                // short form UUID.fromString would accept
                "0190c8a2-6f3e-7b1a-9c4d-2e5f6a7b8c9",      // last group one digit short
                "190c8a2-6f3e-7b1a-9c4d-2e5f6a7b8c9d",      // first group one digit short
                "0190c8a2-6f3e-7b1a-9c4d-2e5f6a7b8c9d0",    // one digit too many
                "0190c8a26f3e7b1a9c4d2e5f6a7b8c9d",         // no hyphens
                "{0190c8a2-6f3e-7b1a-9c4d-2e5f6a7b8c9d}",   // braces
                "urn:uuid:0190c8a2-6f3e-7b1a-9c4d-2e5f6a7b8c9d",
                "0190c8a2-6f3e-7b1a-9c4d-2e5f6a7b8c9g",     // not hex
                "not-a-uuid",
                "42",
        })
        void anything_but_the_canonical_form_is_refused(String raw) {
            assertRefused(() -> UserId.parse(raw), NOT_A_UUID);
        }

        @ParameterizedTest
        @NullAndEmptySource
        @ValueSource(strings = {"  ", "\t"})
        void a_missing_id_is_required(String raw) {
            assertRefused(() -> UserId.parse(raw), "is required");
        }
    }

    @Nested
    @DisplayName("FieldViolations")
    class FieldViolationsTest {

        @Test
        void collects_every_invalid_field_and_reports_them_all_in_order() {
            FieldViolations violations = new FieldViolations();

            Email email = violations.check("email", () -> Email.parse("not-an-address"));
            Username username = violations.check("username", () -> Username.parse("Ada"));
            PlainPassword password = violations.check("password", () -> PlainPassword.parse("short"));
            String avatar = violations.check("avatar_url", () -> Profile.parseAvatarUrl("ftp://example.com/a.png"));

            assertThat(email).isNull();
            assertThat(username).isNull();
            assertThat(password).isNull();
            assertThat(avatar).isNull();

            assertThatThrownBy(violations::throwIfAny)
                    .isInstanceOfSatisfying(UserRejectedException.class, e -> {
                        assertThat(e.rejection()).isInstanceOf(InvalidInput.class);
                        InvalidInput invalid = (InvalidInput) e.rejection();
                        assertThat(invalid.violations()).containsExactly(
                                new FieldViolation("email", "must be an e-mail address such as ada@example.com"),
                                new FieldViolation("username", "must be 3 to 32 characters of a-z, 0-9, '.', '_' or '-'"),
                                new FieldViolation("password", "must be 8 to 128 characters"),
                                new FieldViolation("avatar_url", "must be an absolute http or https URL"));
                        assertThat(e.getMessage())
                                .isEqualTo(invalid.message())
                                .startsWith("invalid request: ")
                                .contains("email must be an e-mail address")
                                .contains("username must be 3 to 32 characters")
                                .contains("password must be 8 to 128 characters")
                                .contains("avatar_url must be an absolute http or https URL");
                        assertThat(e.getMessage().indexOf("email"))
                                .isLessThan(e.getMessage().indexOf("username"));
                        assertThat(e.getMessage().indexOf("username"))
                                .isLessThan(e.getMessage().indexOf("password"));
                        assertThat(e.getMessage().indexOf("password"))
                                .isLessThan(e.getMessage().indexOf("avatar_url"));
                    });
        }

        @Test
        void the_message_lists_the_fields_separated_by_semicolons() {
            FieldViolations violations = new FieldViolations();
            violations.check("email", () -> Email.parse(""));
            violations.check("username", () -> Username.parse(null));

            assertThatThrownBy(violations::throwIfAny)
                    .hasMessage("invalid request: email is required; username is required");
        }

        @Test
        void valid_fields_return_their_value_and_are_not_reported() {
            FieldViolations violations = new FieldViolations();

            Email email = violations.check("email", () -> Email.parse("Ada@Example.com"));
            Username username = violations.check("username", () -> Username.parse("x"));

            assertThat(email).isEqualTo(Email.parse("Ada@example.com"));
            assertThat(username).isNull();
            assertThatThrownBy(violations::throwIfAny)
                    .isInstanceOfSatisfying(UserRejectedException.class, e ->
                            assertThat(((InvalidInput) e.rejection()).violations()).containsExactly(
                                    new FieldViolation("username",
                                            "must be 3 to 32 characters of a-z, 0-9, '.', '_' or '-'")))
                    .message().doesNotContain("email");
        }

        @Test
        void rule_violations_are_reported_alongside_parser_violations_in_order() {
            FieldViolations violations = new FieldViolations();
            violations.check("email", () -> Email.parse("nope"));
            violations.add("update_mask", "must name at least one field");
            violations.check("first_name", () -> Profile.parseName("x".repeat(101)));

            assertThatThrownBy(violations::throwIfAny)
                    .isInstanceOfSatisfying(UserRejectedException.class, e ->
                            assertThat(((InvalidInput) e.rejection()).violations())
                                    .extracting(FieldViolation::field)
                                    .containsExactly("email", "update_mask", "first_name"))
                    .hasMessageContaining("update_mask must name at least one field")
                    .hasMessageContaining("first_name must be at most 100 characters");
        }

        @Test
        void nothing_recorded_means_nothing_thrown() {
            FieldViolations violations = new FieldViolations();
            violations.check("email", () -> Email.parse("ada@example.com"));
            violations.check("password", () -> PlainPassword.parse("long enough"));

            assertThatCode(violations::throwIfAny).doesNotThrowAnyException();
        }
    }
}
