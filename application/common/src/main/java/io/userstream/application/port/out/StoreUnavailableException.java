package io.userstream.application.port.out;

/**
 * A store behind an outbound port could not be reached in time (connection refused, pool
 * exhausted, failover). Nothing was written; the same request may succeed when retried.
 */
public class StoreUnavailableException extends RuntimeException {
    public StoreUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
