package io.userstream.domain.user;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Collects every invalid field of one request so the caller learns about all of them at once,
 * not one per round trip.
 */
public final class FieldViolations {

    private final List<FieldViolation> violations = new ArrayList<>();

    /** Runs {@code parser}; if it refuses the value, records the violation under {@code field} and returns null. */
    public <T> T check(String field, Supplier<T> parser) {
        try {
            return parser.get();
        } catch (InvalidValueException e) {
            violations.add(new FieldViolation(field, e.reason()));
            return null;
        }
    }

    /** Records a violation found by a rule that is not a single value's parser. */
    public void add(String field, String reason) {
        violations.add(new FieldViolation(field, reason));
    }

    /** @throws UserRejectedException with {@link UserRejection.InvalidInput} if anything was recorded */
    public void throwIfAny() {
        if (!violations.isEmpty()) {
            throw new UserRejectedException(new UserRejection.InvalidInput(List.copyOf(violations)));
        }
    }
}
