package io.userstream.adapters.grpc.auth;

/** Turns a bearer token into the {@link Principal} it proves, or refuses it. Thread-safe. */
@FunctionalInterface
public interface TokenVerifier {

    /**
     * @param token the bearer token, without the {@code Bearer } prefix
     * @return who presented it and what they may do
     * @throws InvalidTokenException if the token is malformed, not signed by a trusted key, expired, not
     *                               yet valid, or issued by or for someone else
     */
    Principal verify(String token) throws InvalidTokenException;
}
