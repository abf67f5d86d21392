package io.userstream.adapters.grpc.auth;

/** A bearer token that cannot be trusted: malformed, badly signed, expired, or for someone else. */
public final class InvalidTokenException extends Exception {

    /** @param reason why, safe to tell the caller (it never contains the token) */
    public InvalidTokenException(String reason) {
        super(reason);
    }
}
