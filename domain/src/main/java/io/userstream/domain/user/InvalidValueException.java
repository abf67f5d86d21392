package io.userstream.domain.user;

/**
 * Thrown by a value type's factory when raw input breaks its rule. It names no field: the caller
 * that knows which field it parsed collects these into {@link FieldViolations}.
 */
public final class InvalidValueException extends RuntimeException {

    public InvalidValueException(String reason) {
        super(reason, null, false, false);
    }

    /** Why the value was refused, phrased to follow the field name ("must be …"). */
    public String reason() {
        return getMessage();
    }
}
