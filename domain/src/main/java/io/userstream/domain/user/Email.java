package io.userstream.domain.user;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A syntactically valid e-mail address, normalised: surrounding whitespace trimmed and the domain
 * lower-cased. The local part keeps its case, as RFC 5321 allows mailboxes to distinguish it.
 *
 * @param value the normalised address
 */
public record Email(String value) {

    /** Practical subset of RFC 5322 addr-spec: dot-atom local part, dotted domain with a TLD. */
    private static final Pattern LOCAL = Pattern.compile("[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*");
    private static final Pattern DOMAIN = Pattern.compile(
            "([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?");
    private static final int MAX_LENGTH = 254;
    private static final int MAX_LOCAL_LENGTH = 64;

    public Email {
        if (value == null || !value.equals(normalise(value))) {
            throw new IllegalArgumentException("not a normalised e-mail address; use Email.parse");
        }
    }

    /**
     * Validates and normalises raw input.
     *
     * @throws InvalidValueException if it is not an e-mail address
     */
    public static Email parse(String raw) {
        if (raw == null || raw.isBlank()) {
            throw new InvalidValueException("is required");
        }
        String normalised = normalise(raw);
        if (normalised == null) {
            throw new InvalidValueException("must be an e-mail address such as ada@example.com");
        }
        return new Email(normalised);
    }

    /**
     * The key under which this address is reserved: fully lower-cased, so that addresses differing
     * only in the case of the local part cannot belong to two users.
     */
    public String uniquenessKey() {
        return value.toLowerCase(Locale.ROOT);
    }

    private static String normalise(String raw) {
        String trimmed = raw.strip();
        if (trimmed.length() > MAX_LENGTH) {
            return null;
        }
        int at = trimmed.lastIndexOf('@');
        if (at <= 0 || at == trimmed.length() - 1) {
            return null;
        }
        String local = trimmed.substring(0, at);
        String domain = trimmed.substring(at + 1).toLowerCase(Locale.ROOT);
        if (local.length() > MAX_LOCAL_LENGTH || !LOCAL.matcher(local).matches() || !DOMAIN.matcher(domain).matches()) {
            return null;
        }
        return local + "@" + domain;
    }

    @Override
    public String toString() {
        return value;
    }
}
