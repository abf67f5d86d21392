package io.userstream.application.port.in;

/** An operator named something that does not exist (a projection, a parked event). */
public final class NotFoundException extends RuntimeException {
    public NotFoundException(String message) {
        super(message, null, false, false);
    }
}
