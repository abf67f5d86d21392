package io.userstream.adapters.grpc.auth;

/**
 * The scopes the API knows. A person's token normally carries {@link #READ} and {@link #WRITE}, which
 * reach only the person's own account (the token's subject is the user id); services and operators get
 * the wider ones.
 */
public final class Scopes {

    /** Read one's own account (and one's own stats). */
    public static final String READ = "users:read";
    /** Change one's own account; create accounts (a sign-up backend). */
    public static final String WRITE = "users:write";
    /** Read any account, look users up by e-mail or username, list them: for services such as user-stats-service. */
    public static final String READ_ALL = "users:read:all";
    /** Check a password (a login backend). */
    public static final String VERIFY = "users:verify";
    /** Everything: any account, activation, erasure, and the projection admin API. */
    public static final String ADMIN = "users:admin";

    private Scopes() {
    }
}
