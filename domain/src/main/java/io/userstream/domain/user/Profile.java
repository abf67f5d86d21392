package io.userstream.domain.user;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Objects;

/**
 * The personal profile of a user. An empty string means "not given"; values are trimmed and are
 * Unicode text (no unpaired UTF-16 surrogate, which UTF-8, and so the database, cannot hold).
 *
 * @param firstName at most 100 characters
 * @param lastName  at most 100 characters
 * @param avatarUrl an absolute http(s) URL of at most 2048 characters
 */
public record Profile(String firstName, String lastName, String avatarUrl) {

    /** A profile with nothing filled in. */
    public static final Profile EMPTY = new Profile("", "", "");

    private static final int MAX_NAME = 100;
    private static final int MAX_URL = 2048;

    public Profile {
        Objects.requireNonNull(firstName, "firstName");
        Objects.requireNonNull(lastName, "lastName");
        Objects.requireNonNull(avatarUrl, "avatarUrl");
    }

    /** @throws InvalidValueException if the name is too long, or has control characters or unpaired surrogates */
    public static String parseName(String raw) {
        if (raw == null) {
            return "";
        }
        String trimmed = raw.strip();
        if (trimmed.codePointCount(0, trimmed.length()) > MAX_NAME) {
            throw new InvalidValueException("must be at most " + MAX_NAME + " characters");
        }
        if (trimmed.chars().anyMatch(Character::isISOControl)) {
            throw new InvalidValueException("must not contain control characters");
        }
        if (!isUnicodeText(trimmed)) {
            throw new InvalidValueException("must be valid Unicode text");
        }
        return trimmed;
    }

    /** @throws InvalidValueException if it is neither empty nor an absolute http(s) URL of at most 2048 characters */
    public static String parseAvatarUrl(String raw) {
        if (raw == null || raw.isBlank()) {
            return "";
        }
        String trimmed = raw.strip();
        if (trimmed.length() > MAX_URL) {
            throw new InvalidValueException("must be at most " + MAX_URL + " characters");
        }
        if (!isUnicodeText(trimmed)) {
            throw new InvalidValueException("must be an absolute http or https URL");
        }
        try {
            URI uri = new URI(trimmed);
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null) {
                throw new InvalidValueException("must be an absolute http or https URL");
            }
        } catch (URISyntaxException e) {
            throw new InvalidValueException("must be an absolute http or https URL");
        }
        return trimmed;
    }

    /** False if {@code text} holds an unpaired surrogate: not Unicode text, so UTF-8 would turn it into '?'. */
    private static boolean isUnicodeText(String text) {
        return StandardCharsets.UTF_8.newEncoder().canEncode(text);
    }
}
