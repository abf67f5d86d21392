package io.userstream.adapters.grpc.auth;

import java.util.Map;

/**
 * Who may call what: the {@link AccessRule} of every RPC both services serve. A method missing here is
 * refused to everyone ({@link Authentication} denies by default).
 */
public final class ApiAccess {

    private static final String USERS = "userstream.user.v1.UserService/";
    private static final String ADMIN = "userstream.admin.v1.ProjectionAdmin/*";
    private static final String MIGRATION = "userstream.admin.v1.LegacyMigration/*";
    private static final String STATS = "userstream.userstats.v1.UserStatsService/";

    /** Health and reflection stay open: probes and tools must reach them without credentials. */
    private static final Map<String, AccessRule> INFRASTRUCTURE = Map.of(
            "grpc.health.v1.Health/*", AccessRule.open(),
            "grpc.reflection.v1.ServerReflection/*", AccessRule.open(),
            "grpc.reflection.v1alpha.ServerReflection/*", AccessRule.open());

    private ApiAccess() {
    }

    /** user-service: UserService, ProjectionAdmin and LegacyMigration. */
    public static Map<String, AccessRule> userService() {
        Map<String, AccessRule> rules = new java.util.HashMap<>(INFRASTRUCTURE);
        // Creating an account acts on no existing one: a sign-up backend holds users:write.
        rules.put(USERS + "CreateUser", AccessRule.scope(Scopes.WRITE, Scopes.ADMIN));
        for (String change : new String[] {"ChangeEmail", "ChangePassword", "UpdateProfile", "DeleteUser"}) {
            rules.put(USERS + change, AccessRule.ownAccount(Scopes.WRITE, Scopes.ADMIN));
        }
        // Re-activating oneself would undo an operator's deactivation: operators only.
        rules.put(USERS + "ActivateUser", AccessRule.scope(Scopes.ADMIN));
        rules.put(USERS + "DeactivateUser", AccessRule.scope(Scopes.ADMIN));
        for (String read : new String[] {"GetUser", "GetUserHistory", "GetUserAt"}) {
            rules.put(USERS + read, AccessRule.ownAccount(Scopes.READ, Scopes.READ_ALL, Scopes.ADMIN));
        }
        // Look-ups by e-mail or username and listing reach other people's accounts by nature.
        for (String lookup : new String[] {"GetUserByEmail", "GetUserByUsername", "ListUsers"}) {
            rules.put(USERS + lookup, AccessRule.scope(Scopes.READ_ALL, Scopes.ADMIN));
        }
        rules.put(USERS + "VerifyPassword", AccessRule.scope(Scopes.VERIFY, Scopes.ADMIN));
        rules.put(USERS + "EraseUser", AccessRule.scope(Scopes.ADMIN));
        rules.put(ADMIN, AccessRule.scope(Scopes.ADMIN));
        rules.put(MIGRATION, AccessRule.scope(Scopes.ADMIN));
        return Map.copyOf(rules);
    }

    /** user-stats-service: UserStatsService. */
    public static Map<String, AccessRule> statsService() {
        Map<String, AccessRule> rules = new java.util.HashMap<>(INFRASTRUCTURE);
        rules.put(STATS + "GetUserStats", AccessRule.ownAccount(Scopes.READ, Scopes.READ_ALL, Scopes.ADMIN));
        return Map.copyOf(rules);
    }
}
