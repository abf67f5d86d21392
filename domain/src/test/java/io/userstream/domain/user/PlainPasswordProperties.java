package io.userstream.domain.user;

import static io.userstream.domain.user.Texts.codePoints;
import static io.userstream.domain.user.Texts.outcome;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.statistics.Statistics;

/** {@link PlainPassword#parse}: 8 to 128 code points, kept exactly as typed, never shown. */
class PlainPasswordProperties {

    @Property(tries = 2000)
    void accepts_exactly_8_to_128_code_points_and_keeps_the_secret_as_typed(@ForAll("candidates") String raw) {
        Optional<PlainPassword> parsed = outcome(() -> PlainPassword.parse(raw));
        boolean expected = raw != null && codePoints(raw) >= 8 && codePoints(raw) <= 128;

        assertThat(parsed.isPresent()).isEqualTo(expected);
        parsed.ifPresent(password -> {
            assertThat(password.reveal()).isEqualTo(raw);
            assertThat(password).hasToString("PlainPassword[redacted]");
        });
        Statistics.collect(expected ? "accepted" : "refused");
        Statistics.coverage(coverage -> {
            coverage.check("accepted").percentage(p -> p > 15);
            coverage.check("refused").percentage(p -> p > 15);
        });
    }

    @Property
    void arbitrary_text_is_accepted_by_the_rule_or_refused_with_an_invalid_value_exception(
            @ForAll("anything") String raw) {
        boolean expected = raw != null && codePoints(raw) >= 8 && codePoints(raw) <= 128;

        assertThat(outcome(() -> PlainPassword.parse(raw)).isPresent()).isEqualTo(expected);
    }

    @Property
    void the_limits_count_code_points_not_utf16_chars(@ForAll @IntRange(min = 0, max = 140) int length,
                                                      @ForAll("codePoint") String codePoint) {
        String raw = codePoint.repeat(length);

        assertThat(outcome(() -> PlainPassword.parse(raw)).isPresent()).isEqualTo(length >= 8 && length <= 128);
    }

    /** Mixtures of one- and two-char code points, hostile ones included, of 0 to 140 pieces, often near a limit. */
    @Provide
    Arbitrary<String> candidates() {
        Arbitrary<String> piece = Arbitraries.frequencyOf(
                Tuple.of(4, codePoint()), Tuple.of(1, Arbitraries.of(Texts.HOSTILE)));
        Arbitrary<Integer> pieces = Arbitraries.frequencyOf(
                Tuple.of(1, Arbitraries.integers().between(0, 10)),
                Tuple.of(1, Arbitraries.integers().between(0, 140)),
                Tuple.of(1, Arbitraries.integers().between(120, 140)));
        return pieces.flatMap(n -> piece.list().ofSize(n)).map(parts -> String.join("", parts));
    }

    @Provide
    Arbitrary<String> codePoint() {
        return Arbitraries.oneOf(
                Arbitraries.chars().ascii().map(String::valueOf),
                Arbitraries.chars().range('\u00A0', '\uD7FF').map(String::valueOf),
                Arbitraries.integers().between(0x10000, 0x10FFFF).map(Character::toString));
    }

    @Provide
    Arbitrary<String> anything() {
        return Texts.anything();
    }
}
