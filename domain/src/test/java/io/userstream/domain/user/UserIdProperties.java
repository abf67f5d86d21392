package io.userstream.domain.user;

import static io.userstream.domain.user.Texts.outcome;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Locale;
import java.util.Optional;
import java.util.UUID;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;

/** {@link UserId#parse}: only the canonical 8-4-4-4-12 hex form, in either case, surrounding blanks ignored. */
class UserIdProperties {

    private static final String HEX = "0123456789abcdefABCDEF";

    /**
     * The documented rule, checked character by character. Surrounding characters up to U+0020 are
     * ignored, as {@link String#trim()} does (so a NUL or a tab around an id is dropped too).
     */
    static Optional<UUID> expected(String raw) {
        if (raw == null) {
            return Optional.empty();
        }
        String text = raw.trim();
        if (text.length() != 36) {
            return Optional.empty();
        }
        for (int i = 0; i < 36; i++) {
            char c = text.charAt(i);
            boolean dash = i == 8 || i == 13 || i == 18 || i == 23;
            if (dash ? c != '-' : HEX.indexOf(c) < 0) {
                return Optional.empty();
            }
        }
        String hex = text.replace("-", "");
        return Optional.of(new UUID(Long.parseUnsignedLong(hex.substring(0, 16), 16),
                Long.parseUnsignedLong(hex.substring(16), 16)));
    }

    @Property(tries = 2000)
    void accepts_exactly_the_canonical_form(@ForAll("candidates") String raw) {
        Optional<UUID> parsed = outcome(() -> UserId.parse(raw)).map(UserId::value);
        Optional<UUID> expected = expected(raw);

        assertThat(parsed).as("parse(\"%s\")", raw).isEqualTo(expected);
        Statistics.collect(expected.isPresent() ? "accepted" : "refused");
        Statistics.coverage(coverage -> {
            coverage.check("accepted").percentage(p -> p > 20);
            coverage.check("refused").percentage(p -> p > 20);
        });
    }

    @Property
    void arbitrary_text_is_accepted_by_the_rule_or_refused_with_an_invalid_value_exception(
            @ForAll("anything") String raw) {
        assertThat(outcome(() -> UserId.parse(raw)).map(UserId::value)).isEqualTo(expected(raw));
    }

    @Property
    void every_uuid_round_trips_through_its_text_in_any_case(@ForAll("uuids") UUID uuid, @ForAll("mask") long mask) {
        String lower = uuid.toString();
        StringBuilder mixed = new StringBuilder(lower);
        for (int i = 0; i < mixed.length(); i++) {
            if ((mask >>> (i % 64) & 1) == 1) {
                mixed.setCharAt(i, Character.toUpperCase(mixed.charAt(i)));
            }
        }

        UserId id = UserId.parse(mixed.toString());

        assertThat(id).isEqualTo(new UserId(uuid));
        assertThat(id).hasToString(lower);
        assertThat(UserId.parse(id.toString())).isEqualTo(id);
        assertThat(UserId.parse(lower.toUpperCase(Locale.ROOT))).isEqualTo(id);
    }

    @Provide
    Arbitrary<UUID> uuids() {
        return Combinators.combine(Arbitraries.longs(), Arbitraries.longs()).as(UUID::new);
    }

    @Provide
    Arbitrary<Long> mask() {
        return Arbitraries.longs();
    }

    /** Canonical ids, some with a character put in, replaced or dropped, some padded. */
    @Provide
    Arbitrary<String> candidates() {
        Arbitrary<String> canonical = uuids().map(UUID::toString);
        Arbitrary<String> inserts = Arbitraries.frequencyOf(Tuple.of(3, Arbitraries.of(
                        "0", "f", "F", "g", "-", "+", "{", "}", " ", "\u0000", "\u0660", "\uFF10", "\uFF41", "\u212A")),
                Tuple.of(1, Arbitraries.of(Texts.HOSTILE)));
        Arbitrary<String> mutated = Combinators.combine(canonical, Arbitraries.integers().between(0, 36),
                        inserts, Arbitraries.integers().between(0, 2))
                .as((id, at, insert, kind) -> switch (kind) {
                    case 0 -> id.substring(0, at) + insert + id.substring(at);
                    case 1 -> at == 36 ? id + insert : id.substring(0, at) + insert + id.substring(at + 1);
                    default -> at == 36 ? id.substring(1) : id.substring(0, at) + id.substring(at + 1);
                });
        Arbitrary<String> shortForms = Arbitraries.integers().between(0, 0xFFFF).list().ofSize(5)
                .map(parts -> String.join("-", parts.stream().map(Integer::toHexString).toList()));
        Arbitrary<String> padding = Arbitraries.of("", " ", "\t", "\n", "\u0000", "\u001F", "\u2003");
        Arbitrary<String> core = Arbitraries.frequencyOf(
                Tuple.of(4, canonical), Tuple.of(4, mutated), Tuple.of(1, shortForms));
        return Combinators.combine(padding, core, padding).as((before, id, after) -> before + id + after);
    }

    @Provide
    Arbitrary<String> anything() {
        return Texts.anything();
    }
}
