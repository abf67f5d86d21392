package io.userstream.application.port.out;

/**
 * user-service, the authority on which users exist, could not answer in time (unreachable, overloaded,
 * deadline passed). Nothing was decided on its behalf: the same request may succeed when retried.
 */
public class UserDirectoryUnavailableException extends RuntimeException {

    public UserDirectoryUnavailableException(String message) {
        super(message);
    }

    public UserDirectoryUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
