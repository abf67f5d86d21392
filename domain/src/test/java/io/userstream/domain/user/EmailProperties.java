package io.userstream.domain.user;

import static io.userstream.domain.user.Texts.outcome;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.statistics.Statistics;

/**
 * {@link Email#parse}: a dot-atom local part of at most 64 characters, {@code @}, a dotted domain
 * with a TLD starting with a letter; at most 254 characters after trimming; the domain lower-cased,
 * the local part kept as typed.
 */
class EmailProperties {

    private static final String ATEXT = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+/=?^_`{|}~-";
    private static final String LABEL_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-";

    /**
     * The documented rule, written label by label instead of with the parser's regexes: the
     * normalised address if {@code raw} is valid, else empty.
     */
    static Optional<String> expected(String raw) {
        if (raw == null) {
            return Optional.empty();
        }
        String trimmed = raw.strip();
        int at = trimmed.lastIndexOf('@');
        if (trimmed.length() > 254 || at < 0) {
            return Optional.empty();
        }
        String local = trimmed.substring(0, at);
        String domain = trimmed.substring(at + 1).toLowerCase(Locale.ROOT);
        if (local.isEmpty() || local.length() > 64) {
            return Optional.empty();
        }
        for (String atom : local.split("\\.", -1)) {
            if (atom.isEmpty() || !atom.chars().allMatch(c -> ATEXT.indexOf(c) >= 0)) {
                return Optional.empty();
            }
        }
        String[] labels = domain.split("\\.", -1);
        if (labels.length < 2) {
            return Optional.empty();
        }
        for (String label : labels) {
            if (label.isEmpty() || label.length() > 63 || label.startsWith("-") || label.endsWith("-")
                    || !label.chars().allMatch(c -> (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
                return Optional.empty();
            }
        }
        char tldStart = labels[labels.length - 1].charAt(0);
        if (tldStart < 'a' || tldStart > 'z') {
            return Optional.empty();
        }
        return Optional.of(local + "@" + domain);
    }

    @Property(tries = 2000)
    void accepts_exactly_what_the_rule_allows_and_normalises_it(@ForAll("candidates") String raw) {
        Optional<Email> parsed = outcome(() -> Email.parse(raw));
        Optional<String> expected = expected(raw);

        assertThat(parsed.map(Email::value)).as("parse(\"%s\")", raw).isEqualTo(expected);
        Statistics.collect(expected.isPresent() ? "accepted" : "refused");
        Statistics.coverage(coverage -> {
            coverage.check("accepted").percentage(p -> p > 20);
            coverage.check("refused").percentage(p -> p > 20);
        });
    }

    @Property
    void arbitrary_text_is_accepted_by_the_rule_or_refused_with_an_invalid_value_exception(
            @ForAll("anything") String raw) {
        assertThat(outcome(() -> Email.parse(raw)).map(Email::value)).isEqualTo(expected(raw));
    }

    @Property
    void a_valid_address_keeps_its_local_part_and_lower_cases_its_domain(@ForAll("valid") Tuple.Tuple2<String, String> address,
                                                                         @ForAll("padding") String before,
                                                                         @ForAll("padding") String after) {
        String local = address.get1();
        String domain = address.get2();

        Email email = Email.parse(before + local + "@" + domain + after);

        assertThat(email.value()).isEqualTo(local + "@" + domain.toLowerCase(Locale.ROOT));
        assertThat(email.uniquenessKey()).isEqualTo(email.value().toLowerCase(Locale.ROOT));
        assertThat(Email.parse(local + "@" + domain.toUpperCase(Locale.ROOT))).isEqualTo(email);
    }

    @Property
    void parsing_its_own_value_gives_the_same_address(@ForAll("candidates") String raw) {
        outcome(() -> Email.parse(raw)).ifPresent(email -> {
            assertThat(Email.parse(email.value())).isEqualTo(email);
            assertThat(new Email(email.value())).isEqualTo(email);
            assertThat(email).hasToString(email.value());
        });
    }

    @Property
    void the_limits_are_254_characters_and_64_in_the_local_part(@ForAll @IntRange(min = 56, max = 72) int localLength,
                                                                 @ForAll @IntRange(min = 240, max = 270) int length) {
        String local = "l".repeat(localLength);
        int domainLength = length - localLength - 1;
        // Labels of 60 "d", then one of 3 to 63 "e" and ".com": exactly domainLength long.
        StringBuilder domain = new StringBuilder();
        while (domainLength - domain.length() > 63 + 4) {
            domain.append("d".repeat(60)).append('.');
        }
        domain.append("e".repeat(domainLength - domain.length() - 4)).append(".com");
        String raw = local + "@" + domain;
        assertThat(raw).hasSize(length);

        assertThat(outcome(() -> Email.parse(raw)).isPresent()).isEqualTo(localLength <= 64 && length <= 254);
    }

    @Provide
    Arbitrary<Tuple.Tuple2<String, String>> valid() {
        Arbitrary<String> atom = Arbitraries.strings().withChars(ATEXT).ofMinLength(1).ofMaxLength(12);
        Arbitrary<String> local = atom.list().ofMinSize(1).ofMaxSize(4).map(atoms -> String.join(".", atoms))
                .filter(l -> l.length() <= 64);
        Arbitrary<String> label = Arbitraries.strings().withChars(LABEL_CHARS).ofMinLength(1).ofMaxLength(20)
                .filter(l -> !l.startsWith("-") && !l.endsWith("-"));
        Arbitrary<String> tld = Combinators.combine(Arbitraries.chars().range('a', 'z'),
                        Arbitraries.strings().withChars("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
                                .ofMaxLength(6))
                .as((first, rest) -> first + rest);
        Arbitrary<String> domain = Combinators.combine(label.list().ofMinSize(1).ofMaxSize(3), tld)
                .as((labels, last) -> String.join(".", labels) + "." + last);
        return Combinators.combine(local, domain).as(Tuple::of);
    }

    /** Valid addresses, some with a hostile character put in, replaced or dropped, some padded. */
    @Provide
    Arbitrary<String> candidates() {
        Arbitrary<String> valid = valid().map(address -> address.get1() + "@" + address.get2());
        Arbitrary<String> mutated = Combinators.combine(valid, Arbitraries.integers().between(0, 1000),
                        Arbitraries.of(mutations()), Arbitraries.integers().between(0, 2))
                .as((address, position, insert, kind) -> {
                    int at = position % (address.length() + 1);
                    return switch (kind) {
                        case 0 -> address.substring(0, at) + insert + address.substring(at);
                        case 1 -> at == address.length() ? address + insert
                                : address.substring(0, at) + insert + address.substring(at + 1);
                        default -> at == address.length() ? address : address.substring(0, at) + address.substring(at + 1);
                    };
                });
        return Texts.padded(Arbitraries.frequencyOf(Tuple.of(1, valid), Tuple.of(1, mutated)));
    }

    private static List<String> mutations() {
        List<String> more = new java.util.ArrayList<>(Texts.HOSTILE);
        more.addAll(List.of("@", ".", "..", "-", "A", "Z", "1"));
        return more;
    }

    @Provide
    Arbitrary<String> padding() {
        return Texts.strippable();
    }

    @Provide
    Arbitrary<String> anything() {
        return Texts.anything();
    }
}
