package io.userstream.application.port.out;

import java.time.Duration;
import java.util.Objects;

/**
 * A {@link PasswordHasher} refused to start a hash because as many hashes as it allows are already
 * running or waiting: the password hashing capacity is saturated. Nothing was hashed and nothing was
 * written; the same request may succeed when retried, after about {@link #retryAfter()}.
 *
 * <p>Password hashing is deliberately slow and memory-hard (Argon2id), so a bounded number of hashes at
 * once is what keeps a flood of CreateUser or ChangePassword calls from exhausting the heap and the CPU
 * that every other command needs. Failing fast is the back-pressure.
 */
public class PasswordHashingSaturatedException extends RuntimeException {

    private final Duration retryAfter;

    /**
     * @param message    what was full, for the caller and the log; never a password
     * @param retryAfter how long the hashes already admitted should take to drain, a hint for the retry
     */
    public PasswordHashingSaturatedException(String message, Duration retryAfter) {
        super(message);
        this.retryAfter = Objects.requireNonNull(retryAfter, "retryAfter");
    }

    /** A hint: how long until capacity should be free again. */
    public Duration retryAfter() {
        return retryAfter;
    }
}
