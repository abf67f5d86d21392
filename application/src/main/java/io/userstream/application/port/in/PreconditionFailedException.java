package io.userstream.application.port.in;

/** An operator asked for something the named thing cannot do (e.g. verify a projection that keeps no table). */
public final class PreconditionFailedException extends RuntimeException {
    public PreconditionFailedException(String message) {
        super(message, null, false, false);
    }
}
