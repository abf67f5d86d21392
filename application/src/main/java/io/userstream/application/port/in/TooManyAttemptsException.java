package io.userstream.application.port.in;

import java.time.Duration;
import java.util.Objects;

/** Too many failed password checks for an account or from a caller: try again after {@link #retryAfter()}. */
public final class TooManyAttemptsException extends RuntimeException {

    private final Duration retryAfter;

    /** @param retryAfter when the window that is full ends */
    public TooManyAttemptsException(String message, Duration retryAfter) {
        super(message);
        this.retryAfter = Objects.requireNonNull(retryAfter, "retryAfter");
    }

    public Duration retryAfter() {
        return retryAfter;
    }
}
