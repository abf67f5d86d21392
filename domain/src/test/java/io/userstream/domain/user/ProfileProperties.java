package io.userstream.domain.user;

import static io.userstream.domain.user.Texts.codePoints;
import static io.userstream.domain.user.Texts.outcome;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
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
 * {@link Profile#parseName} (trimmed, at most 100 code points, no control characters; missing means
 * empty) and {@link Profile#parseAvatarUrl} (empty, or an absolute http(s) URL of at most 2048
 * characters, trimmed).
 */
class ProfileProperties {

    /** The documented name rule: the trimmed name if allowed, else empty. */
    static Optional<String> expectedName(String raw) {
        if (raw == null) {
            return Optional.of("");
        }
        String trimmed = raw.strip();
        boolean control = trimmed.chars().anyMatch(c -> c <= 0x1F || (c >= 0x7F && c <= 0x9F));
        return codePoints(trimmed) <= 100 && !control && !hasUnpairedSurrogate(trimmed)
                ? Optional.of(trimmed) : Optional.empty();
    }

    /** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
    static boolean hasUnpairedSurrogate(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return true;
            }
        }
        return false;
    }

    /** What the event store keeps: the text after a trip through UTF-8, as the JDBC driver sends it. */
    static String throughUtf8(String text) {
        return new String(text.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8);
    }

    @Property(tries = 2000)
    void a_name_is_accepted_exactly_when_the_rule_allows_and_comes_back_trimmed(@ForAll("names") String raw) {
        Optional<String> parsed = outcome(() -> Profile.parseName(raw));
        Optional<String> expected = expectedName(raw);

        assertThat(parsed).as("parseName(\"%s\")", raw).isEqualTo(expected);
        Statistics.collect(expected.isPresent() ? "accepted" : "refused");
        Statistics.coverage(coverage -> {
            coverage.check("accepted").percentage(p -> p > 20);
            coverage.check("refused").percentage(p -> p > 20);
        });
    }

    @Property
    void arbitrary_text_as_a_name_is_accepted_by_the_rule_or_refused_with_an_invalid_value_exception(
            @ForAll("anything") String raw) {
        assertThat(outcome(() -> Profile.parseName(raw))).isEqualTo(expectedName(raw));
    }

    @Property
    void parsing_a_parsed_name_changes_nothing(@ForAll("names") String raw) {
        outcome(() -> Profile.parseName(raw)).ifPresent(name -> assertThat(Profile.parseName(name)).isEqualTo(name));
    }

    @Property
    void every_accepted_name_and_avatar_url_survives_utf8_so_the_database_keeps_it(@ForAll("anything") String raw) {
        outcome(() -> Profile.parseName(raw)).ifPresent(name -> assertThat(throughUtf8(name)).isEqualTo(name));
        outcome(() -> Profile.parseAvatarUrl(raw)).ifPresent(url -> assertThat(throughUtf8(url)).isEqualTo(url));
    }

    @Property
    void the_name_limit_is_100_code_points(@ForAll @IntRange(min = 90, max = 110) int length,
                                           @ForAll("nameChar") String c, @ForAll("padding") String padding) {
        String raw = padding + c.repeat(length) + padding;

        assertThat(outcome(() -> Profile.parseName(raw)).isPresent()).isEqualTo(length <= 100);
    }

    @Property(tries = 2000)
    void an_accepted_avatar_url_is_the_trimmed_input_an_absolute_http_url_and_stable(@ForAll("urls") String raw) {
        Optional<String> parsed = outcome(() -> Profile.parseAvatarUrl(raw));

        parsed.ifPresent(url -> {
            if (raw == null || raw.isBlank()) {
                assertThat(url).isEmpty();
            } else {
                assertThat(url).isEqualTo(raw.strip()).hasSizeLessThanOrEqualTo(2048);
                assertThat(url.toLowerCase(Locale.ROOT)).matches("https?://.+");
            }
            assertThat(Profile.parseAvatarUrl(url)).isEqualTo(url);
            assertThat(throughUtf8(url)).isEqualTo(url);
        });
        Statistics.collect(parsed.isPresent() ? "accepted" : "refused");
        Statistics.coverage(coverage -> {
            coverage.check("accepted").percentage(p -> p > 20);
            coverage.check("refused").percentage(p -> p > 20);
        });
    }

    @Property
    void arbitrary_text_as_an_avatar_url_is_an_http_url_or_refused_with_an_invalid_value_exception(
            @ForAll("anything") String raw) {
        outcome(() -> Profile.parseAvatarUrl(raw)).filter(url -> !url.isEmpty())
                .ifPresent(url -> assertThat(url.toLowerCase(Locale.ROOT)).matches("https?://.+"));
    }

    @Property
    void well_formed_http_urls_are_accepted_as_typed(@ForAll("wellFormed") String url, @ForAll("padding") String before,
                                                     @ForAll("padding") String after) {
        assertThat(Profile.parseAvatarUrl(before + url + after)).isEqualTo(url);
    }

    @Property
    void other_schemes_are_refused(@ForAll("otherScheme") String scheme, @ForAll("wellFormed") String url) {
        String raw = scheme + url.substring(url.indexOf(':'));

        assertThat(outcome(() -> Profile.parseAvatarUrl(raw))).isEmpty();
    }

    @Property
    void the_url_limit_is_2048_characters(@ForAll @IntRange(min = 2030, max = 2070) int length,
                                          @ForAll("padding") String padding) {
        String prefix = "https://example.com/";
        String raw = padding + prefix + "p".repeat(length - prefix.length()) + padding;

        assertThat(outcome(() -> Profile.parseAvatarUrl(raw)).isPresent()).isEqualTo(length <= 2048);
    }

    @Provide
    Arbitrary<String> names() {
        Arbitrary<String> letters = Texts.mostlyFrom(
                "AdaLovelceGrhmHopperZoëÅnneÉmileŁukaszΣωκράτηςБорисŌtaniō李小龍 '-.\"\\/", 0, 12);
        Arbitrary<String> longer = Texts.mostlyFrom("abcXYZéøß 😀", 90, 110);
        return Texts.padded(Arbitraries.frequencyOf(Tuple.of(3, letters), Tuple.of(1, longer))).injectNull(0.02);
    }

    @Provide
    Arbitrary<String> nameChar() {
        return Arbitraries.of("n", "é", "李", Texts.EMOJI, "\"", "\\");
    }

    @Provide
    Arbitrary<String> padding() {
        return Texts.strippable();
    }

    @Provide
    Arbitrary<String> wellFormed() {
        Arbitrary<String> scheme = Arbitraries.of("http", "https", "HTTP", "Https");
        Arbitrary<String> label = Arbitraries.strings().withChars("abcdefghijklmnopqrstuvwxyz0123456789")
                .ofMinLength(1).ofMaxLength(12);
        Arbitrary<String> host = Combinators.combine(label.list().ofMinSize(1).ofMaxSize(3),
                        Arbitraries.strings().withCharRange('a', 'z').ofMinLength(2).ofMaxLength(6))
                .as((labels, tld) -> String.join(".", labels) + "." + tld);
        Arbitrary<String> port = Arbitraries.integers().between(1, 65535).map(p -> ":" + p).injectNull(0.7)
                .map(p -> p == null ? "" : p);
        Arbitrary<String> path = Arbitraries.strings()
                .withChars("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~/%20")
                .ofMaxLength(40).map(p -> "/" + p.replace("%", "%25"));
        Arbitrary<String> query = Arbitraries.strings().withChars("abcxyz0123=&").ofMaxLength(20)
                .map(q -> q.isEmpty() ? "" : "?" + q);
        return Combinators.combine(scheme, host, port, path, query).as((s, h, p, pa, q) -> s + "://" + h + p + pa + q);
    }

    @Provide
    Arbitrary<String> otherScheme() {
        return Arbitraries.oneOf(
                Arbitraries.of("ftp", "file", "javascript", "data", "mailto", "ws", "wss", "httpx", "http+unix", "hxxp"),
                Arbitraries.strings().withCharRange('a', 'z').ofMinLength(1).ofMaxLength(8)
                        .filter(s -> !s.equals("http") && !s.equals("https")));
    }

    /** Well-formed URLs, some with a hostile character put in, replaced or dropped, some padded. */
    @Provide
    Arbitrary<String> urls() {
        Arbitrary<String> mutated = Combinators.combine(wellFormed(), Arbitraries.integers().between(0, 1000),
                        Arbitraries.of(Texts.HOSTILE), Arbitraries.integers().between(0, 2))
                .as((url, position, insert, kind) -> {
                    int at = position % (url.length() + 1);
                    return switch (kind) {
                        case 0 -> url.substring(0, at) + insert + url.substring(at);
                        case 1 -> at == url.length() ? url + insert : url.substring(0, at) + insert + url.substring(at + 1);
                        default -> at == url.length() ? url : url.substring(0, at) + url.substring(at + 1);
                    };
                });
        return Texts.padded(Arbitraries.frequencyOf(Tuple.of(1, wellFormed()), Tuple.of(2, mutated))).injectNull(0.02);
    }

    @Provide
    Arbitrary<String> anything() {
        return Texts.anything();
    }
}
