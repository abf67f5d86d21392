package io.userstream.domain.user;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;

/**
 * Raw input for the value types' property tests: the shapes a parser must accept, and the hostile
 * characters it must refuse without surprise (controls, odd whitespace, lone surrogates, look-alikes).
 */
final class Texts {

    /** One code point outside the BMP (two UTF-16 chars): 😀. */
    static final String EMOJI = "\uD83D\uDE00";

    /** Characters a parser must handle without throwing anything but {@link InvalidValueException}. */
    static final List<String> HOSTILE = List.of(
            "\u0000", "\u0001", "\u0007", "\b", "\t", "\n", "\u000B", "\f", "\r", "\u001B", "\u001F", "\u007F",
            "\u0085", "\u009F",                                   // C0, DEL and C1 controls
            " ", "\u00A0", "\u2003", "\u2028", "\u2029", "\u3000", "\uFEFF", "\u200B", // spaces, separators, BOM
            "\"", "\\", "/", "'", "<", ">", "&", "%", "@", ".", "-", "_", "+", ":", "?", "#", "[", "]", "{", "}",
            "\uD800", "\uDBFF", "\uDC00", "\uDFFF",             // lone surrogates
            EMOJI, "\uD83D\uDC68\u200D\uD83D\uDC69\u200D\uD83D\uDC67", // emoji, a ZWJ family
            "\u0301", "\u202E", "\u200F",                        // combining accent, bidi override, RTL mark
            "\u212A", "\u0130", "\u0131", "\u017F", "\uFF41", "\uFF21", "\u0660", "\u0966", // look-alikes
            "\u00E4", "\u00DF", "\u03A9", "\u4E2D", "\uFFFD", "\uFFFF");

    /** Whitespace that {@link String#strip()} removes. */
    static Arbitrary<String> strippable() {
        return Arbitraries.of(" ", "\t", "\n", "\r", "\u2003", "\u3000", "\u2028").list().ofMaxSize(3)
                .map(parts -> String.join("", parts));
    }

    /** {@code core} with a random chance of strippable whitespace on either side. */
    static Arbitrary<String> padded(Arbitrary<String> core) {
        return Arbitraries.frequencyOf(
                Tuple.of(3, core),
                Tuple.of(1, Combinators.combine(strippable(), core, strippable())
                        .as((before, text, after) -> before + text + after)));
    }

    /** Strings of {@code minPieces..maxPieces} pieces, each a char of {@code alphabet} or (rarely) a hostile one. */
    static Arbitrary<String> mostlyFrom(String alphabet, int minPieces, int maxPieces) {
        Arbitrary<String> normal = Arbitraries.of(alphabet.codePoints().mapToObj(Character::toString).toList());
        Arbitrary<String> piece = Arbitraries.frequencyOf(
                Tuple.of(30, normal), Tuple.of(1, Arbitraries.of(HOSTILE)));
        return piece.list().ofMinSize(minPieces).ofMaxSize(maxPieces).map(parts -> String.join("", parts));
    }

    /** Anything at all: any UTF-16 chars (lone surrogates included), hostile characters, now and then very long. */
    static Arbitrary<String> anything() {
        Arbitrary<String> anyChars = Arbitraries.strings().withCharRange(Character.MIN_VALUE, Character.MAX_VALUE)
                .ofMaxLength(60);
        Arbitrary<String> hostile = Arbitraries.of(HOSTILE).list().ofMaxSize(12).map(parts -> String.join("", parts));
        Arbitrary<String> ascii = Arbitraries.strings().ascii().ofMaxLength(60);
        Arbitrary<String> veryLong = Arbitraries.strings().withCharRange(Character.MIN_VALUE, Character.MAX_VALUE)
                .ofMinLength(2_000).ofMaxLength(10_000);
        return Arbitraries.frequencyOf(
                Tuple.of(4, anyChars), Tuple.of(3, hostile),
                Tuple.of(3, ascii), Tuple.of(1, veryLong))
                .injectNull(0.01);
    }

    /**
     * Runs a parser: its value if it accepts, empty if it refuses with {@link InvalidValueException}
     * (with a reason). Any other exception escapes and fails the property.
     */
    static <T> Optional<T> outcome(Supplier<T> parse) {
        try {
            T value = parse.get();
            assertThat(value).as("an accepted value").isNotNull();
            return Optional.of(value);
        } catch (InvalidValueException refused) {
            assertThat(refused.reason()).as("the reason for refusing").isNotBlank();
            return Optional.empty();
        }
    }

    /** Length in Unicode code points, as the policies count it. */
    static int codePoints(String text) {
        return text.codePointCount(0, text.length());
    }

    private Texts() {
    }
}
