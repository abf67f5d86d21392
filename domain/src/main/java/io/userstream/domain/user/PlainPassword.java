package io.userstream.domain.user;

/**
 * A password as the user typed it, checked against the length policy (8 to 128 characters,
 * counted in Unicode code points). It lives only long enough to be hashed; {@link #toString()}
 * never reveals it, so it cannot leak into a log line by accident.
 */
public final class PlainPassword {

    private static final int MIN = 8;
    private static final int MAX = 128;

    private final String secret;

    private PlainPassword(String secret) {
        this.secret = secret;
    }

    /** @throws InvalidValueException if it is missing or its length is out of policy */
    public static PlainPassword parse(String raw) {
        if (raw == null || raw.isEmpty()) {
            throw new InvalidValueException("is required");
        }
        int length = raw.codePointCount(0, raw.length());
        if (length < MIN || length > MAX) {
            throw new InvalidValueException("must be " + MIN + " to " + MAX + " characters");
        }
        return new PlainPassword(raw);
    }

    /** The secret itself, for the password hasher only. */
    public String reveal() {
        return secret;
    }

    @Override
    public String toString() {
        return "PlainPassword[redacted]";
    }
}
