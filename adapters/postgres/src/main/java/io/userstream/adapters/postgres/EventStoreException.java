package io.userstream.adapters.postgres;

/** The event store could not be read or written (database down, timeout, corrupt row). Not a client's mistake. */
public final class EventStoreException extends RuntimeException {
    public EventStoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
