package io.userstream.adapters.grpc.auth;

import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * What a caller needs to call one RPC.
 *
 * @param scope        the scope the caller must hold; empty: no token needed at all (health, reflection)
 * @param ownerField   when present, the request field naming the account acted on ({@code user_id}): a
 *                     caller holding only {@link #scope} may then act on its own account only (the field
 *                     must equal its subject)
 * @param anyAccount   scopes that reach every account, and stand in for {@link #scope}
 */
public record AccessRule(Optional<String> scope, Optional<String> ownerField, Set<String> anyAccount) {

    public AccessRule {
        Objects.requireNonNull(scope, "scope");
        Objects.requireNonNull(ownerField, "ownerField");
        anyAccount = Set.copyOf(anyAccount);
    }

    /** No token needed. */
    public static AccessRule open() {
        return new AccessRule(Optional.empty(), Optional.empty(), Set.of());
    }

    /** {@code scope}, or one of {@code anyAccount}, on no particular account. */
    public static AccessRule scope(String scope, String... anyAccount) {
        return new AccessRule(Optional.of(scope), Optional.empty(), Set.of(anyAccount));
    }

    /** {@code scope} on the caller's own account (named by {@code user_id}), or one of {@code anyAccount} on any. */
    public static AccessRule ownAccount(String scope, String... anyAccount) {
        return new AccessRule(Optional.of(scope), Optional.of("user_id"), Set.of(anyAccount));
    }

    /** Whether a call needs a token at all. */
    public boolean needsToken() {
        return scope.isPresent();
    }

    /**
     * Whether {@code caller} may make the call before its request is read: it holds the scope or an
     * any-account scope. Callers that hold only the scope are then checked against the request's owner.
     */
    public boolean admits(Principal caller) {
        return scope.map(caller::has).orElse(true) || caller.hasAny(anyAccount);
    }

    /** Whether the request's owner must still be compared with the caller's subject. */
    public boolean needsOwnerCheck(Principal caller) {
        return ownerField.isPresent() && !caller.hasAny(anyAccount);
    }
}
