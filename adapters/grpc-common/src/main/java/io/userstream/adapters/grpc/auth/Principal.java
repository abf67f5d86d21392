package io.userstream.adapters.grpc.auth;

import java.util.Objects;
import java.util.Set;

/**
 * A caller whose bearer token has been verified: who it is ({@code sub}) and what it may do (its scopes).
 * The subject becomes the actor recorded on every event the call produces, whatever {@code x-actor} says.
 *
 * @param subject the token's {@code sub} claim: a user id for a person, a name for a service
 * @param scopes  the token's scopes ({@code scope} or {@code scp} claim), e.g. {@link Scopes#WRITE}
 */
public record Principal(String subject, Set<String> scopes) {

    public Principal {
        Objects.requireNonNull(subject, "subject");
        scopes = Set.copyOf(scopes);
    }

    /** Whether the token grants {@code scope}. */
    public boolean has(String scope) {
        return scopes.contains(scope);
    }

    /** Whether the token grants any of {@code candidates}. */
    public boolean hasAny(Set<String> candidates) {
        return candidates.stream().anyMatch(scopes::contains);
    }

    /** Whether this caller may act on every account ({@link Scopes#ADMIN}). */
    public boolean isAdmin() {
        return has(Scopes.ADMIN);
    }
}
