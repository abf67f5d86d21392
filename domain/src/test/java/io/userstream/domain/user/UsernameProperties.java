package io.userstream.domain.user;

import static io.userstream.domain.user.Texts.outcome;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;

/** {@link Username#parse}: 3 to 32 of {@code a-z 0-9 . _ -}, surrounding whitespace ignored, nothing folded. */
class UsernameProperties {

    private static final String ALLOWED = "abcdefghijklmnopqrstuvwxyz0123456789._-";

    /** The documented rule, written without the parser's regex. */
    static boolean allowed(String handle) {
        return handle.length() >= 3 && handle.length() <= 32
                && handle.chars().allMatch(c -> ALLOWED.indexOf(c) >= 0);
    }

    @Property(tries = 2000)
    void accepts_exactly_what_the_rule_allows_and_keeps_it_as_typed(@ForAll("candidates") String raw) {
        Optional<Username> parsed = outcome(() -> Username.parse(raw));
        boolean expected = raw != null && allowed(raw.strip());

        assertThat(parsed.isPresent()).as("accepted \"%s\"", raw).isEqualTo(expected);
        parsed.ifPresent(username -> assertThat(username.value()).isEqualTo(raw.strip()));
        Statistics.collect(expected ? "accepted" : "refused");
        Statistics.coverage(coverage -> {
            coverage.check("accepted").percentage(p -> p > 20);
            coverage.check("refused").percentage(p -> p > 20);
        });
    }

    @Property
    void parsing_its_own_value_gives_the_same_username(@ForAll("candidates") String raw) {
        outcome(() -> Username.parse(raw)).ifPresent(username -> {
            assertThat(Username.parse(username.value())).isEqualTo(username);
            assertThat(new Username(username.value())).isEqualTo(username);
            assertThat(username).hasToString(username.value());
        });
    }

    @Property
    void arbitrary_text_is_accepted_by_the_rule_or_refused_with_an_invalid_value_exception(@ForAll("anything") String raw) {
        Optional<Username> parsed = outcome(() -> Username.parse(raw));

        assertThat(parsed.isPresent()).isEqualTo(raw != null && allowed(raw.strip()));
    }

    @Property
    void upper_case_is_refused_not_folded(@ForAll("valid") String handle, @ForAll("upper") char upper) {
        String withUpper = upper + handle.substring(1);

        assertThat(outcome(() -> Username.parse(withUpper))).isEmpty();
    }

    @Property
    void the_length_limits_are_3_and_32(@ForAll("lengths") int length, @ForAll("allowedChar") char c) {
        String raw = String.valueOf(c).repeat(length);

        assertThat(outcome(() -> Username.parse(raw)).isPresent()).isEqualTo(length >= 3 && length <= 32);
    }

    @Provide
    Arbitrary<String> candidates() {
        return Texts.padded(Arbitraries.frequencyOf(
                Tuple.of(2, Arbitraries.strings().withChars(ALLOWED).ofMaxLength(36)),
                Tuple.of(1, Texts.mostlyFrom(ALLOWED + "AZ", 0, 36))));
    }

    @Provide
    Arbitrary<String> valid() {
        return Arbitraries.strings().withChars(ALLOWED).ofMinLength(3).ofMaxLength(32);
    }

    @Provide
    Arbitrary<Character> upper() {
        return Arbitraries.chars().range('A', 'Z');
    }

    @Provide
    Arbitrary<Character> allowedChar() {
        return Arbitraries.chars().with(ALLOWED.toCharArray());
    }

    @Provide
    Arbitrary<Integer> lengths() {
        return Arbitraries.integers().between(0, 40);
    }

    @Provide
    Arbitrary<String> anything() {
        return Texts.anything();
    }
}
