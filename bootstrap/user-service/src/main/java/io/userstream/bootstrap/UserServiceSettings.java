package io.userstream.bootstrap;

import io.helidon.config.Config;
import io.userstream.adapters.crypto.Argon2idPasswordHasher;
import io.userstream.adapters.postgres.GroupCommitSettings;
import io.userstream.adapters.postgres.KeyWrap;
import io.userstream.adapters.postgres.PostgresSettings;
import io.userstream.adapters.postgres.ReservationKeys;
import io.userstream.adapters.postgres.SubscriptionSettings;
import io.userstream.adapters.rabbitmq.RabbitSettings;
import io.userstream.application.support.AttemptLimiter;
import io.userstream.application.support.BoundedPasswordHasher;

import java.time.Duration;
import java.util.Locale;
import java.util.Optional;

/**
 * Typed settings of user-service, read once from configuration ({@code user-service.yaml} plus
 * environment overrides) so that no adapter ever reads configuration itself.
 *
 * @param host          interface to listen on
 * @param grpcPort      gRPC port (0 picks a free one)
 * @param httpPort      metrics/health port (0 picks a free one)
 * @param postgres      database connection
 * @param passwordCost  Argon2id cost parameters
 * @param hashing       how many password hashes run at once and how many calls may wait for one
 * @param adminToken    bearer token of the admin API; empty disables it (there is no default)
 * @param subscriptions how projections read the log and recover
 * @param metricsRefresh how often projection gauges are refreshed from the database
 * @param outbox        where the outbox relay publishes; empty turns the relay off
 * @param recentUsers   how many recently written users the command side remembers, so that a command on
 *                      one of them skips loading its stream (see {@code RecentUsers}); 0 remembers none
 * @param security      profile, authentication and TLS
 * @param passwordChecks how many failed VerifyPassword calls an account and a caller may make
 * @param masterKey      the key users' data keys are wrapped under ({@code crypto.masterkey}, base64 of 32 bytes);
 *                       empty: data keys are stored unwrapped
 * @param reservationKey the HMAC key e-mail reservations are stored under ({@code reservations.key}, base64, at
 *                       least 32 bytes); empty: the development key, which the production profile refuses
 * @param groupCommit   whether concurrent single-event appends are committed together, one INSERT and one
 *                      commit per group ({@code userstream.events.group.*}, see {@link GroupCommitSettings})
 */
record UserServiceSettings(String host, int grpcPort, int httpPort, PostgresSettings postgres,
                           Argon2idPasswordHasher.Parameters passwordCost, BoundedPasswordHasher.Limits hashing,
                           Optional<String> adminToken,
                           SubscriptionSettings subscriptions, Duration metricsRefresh,
                           Optional<RabbitSettings> outbox, int recentUsers, SecuritySettings security,
                           PasswordChecks passwordChecks, Optional<ReservationKeys> reservationKey,
                           GroupCommitSettings groupCommit, Optional<byte[]> masterKey) {

    /**
     * The brakes on password guessing ({@code verify.account.*}, {@code verify.caller.*}).
     *
     * @param perAccount failures per login (username or e-mail) in a window: 10 per 15 min by default
     * @param perCaller  failures per caller (the token's subject) in a window: 1,000 per minute by default
     */
    record PasswordChecks(AttemptLimiter.Limit perAccount, AttemptLimiter.Limit perCaller) {
        static final PasswordChecks DEFAULTS = new PasswordChecks(
                new AttemptLimiter.Limit(10, Duration.ofMinutes(15), 100_000),
                new AttemptLimiter.Limit(1_000, Duration.ofMinutes(1), 10_000));

        static PasswordChecks from(Config verify) {
            return new PasswordChecks(limit(verify.get("account"), DEFAULTS.perAccount()),
                    limit(verify.get("caller"), DEFAULTS.perCaller()));
        }

        private static AttemptLimiter.Limit limit(Config node, AttemptLimiter.Limit defaults) {
            return new AttemptLimiter.Limit(node.get("failures").asInt().orElse(defaults.maxFailures()),
                    Duration.ofSeconds(node.get("window").asLong().orElse(defaults.window().toSeconds())),
                    defaults.capacity());
        }
    }

    /** With the default password-check limits. */
    UserServiceSettings(String host, int grpcPort, int httpPort, PostgresSettings postgres,
                        Argon2idPasswordHasher.Parameters passwordCost, BoundedPasswordHasher.Limits hashing,
                        Optional<String> adminToken, SubscriptionSettings subscriptions, Duration metricsRefresh,
                        Optional<RabbitSettings> outbox, int recentUsers, SecuritySettings security) {
        this(host, grpcPort, httpPort, postgres, passwordCost, hashing, adminToken, subscriptions, metricsRefresh,
                outbox, recentUsers, security, PasswordChecks.DEFAULTS, Optional.empty(), GroupCommitSettings.DEFAULTS,
                Optional.empty());
    }

    /** Without authentication or TLS (development). */
    UserServiceSettings(String host, int grpcPort, int httpPort, PostgresSettings postgres,
                        Argon2idPasswordHasher.Parameters passwordCost, BoundedPasswordHasher.Limits hashing,
                        Optional<String> adminToken, SubscriptionSettings subscriptions, Duration metricsRefresh,
                        Optional<RabbitSettings> outbox, int recentUsers) {
        this(host, grpcPort, httpPort, postgres, passwordCost, hashing, adminToken, subscriptions, metricsRefresh,
                outbox, recentUsers, SecuritySettings.OFF);
    }

    /** The same settings with {@code security} instead. */
    UserServiceSettings withSecurity(SecuritySettings security) {
        return new UserServiceSettings(host, grpcPort, httpPort, postgres, passwordCost, hashing, adminToken,
                subscriptions, metricsRefresh, outbox, recentUsers, security, passwordChecks, reservationKey,
                groupCommit, masterKey);
    }

    /** Users remembered by default: a few MiB of aggregates. */
    static final int DEFAULT_RECENT_USERS = 10_000;

    static UserServiceSettings from(Config config) {
        Config root = config.get("userstream");
        Config hashing = root.get("argon2");
        Config projections = root.get("projections");
        SubscriptionSettings defaults = SubscriptionSettings.DEFAULTS;
        return new UserServiceSettings(
                // Loopback unless told otherwise: a local run is not reachable from the network by accident.
                root.get("host").asString().orElse("127.0.0.1"),
                root.get("grpc.port").asInt().orElse(9090),
                root.get("http.port").asInt().orElse(9091),
                ConnectionSettings.postgres(root.get("db"), "jdbc:postgresql://127.0.0.1:5432/userstream_users", 16),
                new Argon2idPasswordHasher.Parameters(
                        hashing.get("memory").asInt().orElse(Argon2idPasswordHasher.OWASP.memoryKiB()),
                        hashing.get("iterations").asInt().orElse(Argon2idPasswordHasher.OWASP.iterations()),
                        hashing.get("parallelism").asInt().orElse(Argon2idPasswordHasher.OWASP.parallelism())),
                hashingLimits(hashing),
                root.get("admin.token").asString().asOptional().filter(token -> !token.isBlank()),
                new SubscriptionSettings(
                        projections.get("batch").asInt().orElse(defaults.batchSize()),
                        Duration.ofMillis(projections.get("poll").asLong().orElse(defaults.pollInterval().toMillis())),
                        Duration.ofMillis(projections.get("takeover").asLong()
                                .orElse(defaults.takeoverInterval().toMillis())),
                        projections.get("attempts").asInt().orElse(defaults.maxAttempts()),
                        Duration.ofMillis(projections.get("backoff").asLong().orElse(defaults.retryBackoff().toMillis())),
                        SubscriptionSettings.FailurePolicy.valueOf(projections.get("policy").asString()
                                .orElse(defaults.onFailure().name()).toUpperCase(Locale.ROOT)),
                        projections.get("inflight").asInt().orElse(defaults.maxInFlight())),
                Duration.ofMillis(root.get("metrics.refresh").asLong().orElse(5000L)),
                root.get("outbox.enabled").asBoolean().orElse(true)
                        ? Optional.of(ConnectionSettings.publisher(root.get("rabbitmq"))) : Optional.empty(),
                root.get("commands.cache").asInt().orElse(DEFAULT_RECENT_USERS),
                SecuritySettings.from(root),
                PasswordChecks.from(root.get("verify")),
                SecuritySettings.text(root.get("reservations.key")).map(UserServiceSettings::reservationKeys),
                groupCommit(root.get("events.group")),
                SecuritySettings.text(root.get("crypto.masterkey")).map(UserServiceSettings::masterKey));
    }

    private static byte[] masterKey(String base64) {
        try {
            byte[] key = java.util.Base64.getDecoder().decode(base64);
            KeyWrap.withMasterKey(key);
            return key;
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("crypto.masterkey must be base64 of 32 random bytes"
                    + " (e.g. `openssl rand -base64 32`): " + e.getMessage());
        }
    }

    private static ReservationKeys reservationKeys(String base64) {
        try {
            return new ReservationKeys(java.util.Base64.getDecoder().decode(base64));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("reservations.key must be base64 of at least 32 random bytes"
                    + " (e.g. `openssl rand -base64 32`): " + e.getMessage());
        }
    }

    /**
     * Group commit under {@code events.group}: {@code commit} (on by default; environment
     * {@code USERSTREAM_EVENTS_GROUP_COMMIT}), {@code committers}, {@code max} (appends per group) and
     * {@code wait} (ms an append may wait in the queue), each defaulting to {@link GroupCommitSettings#DEFAULTS}.
     */
    static GroupCommitSettings groupCommit(Config group) {
        GroupCommitSettings defaults = GroupCommitSettings.DEFAULTS;
        return new GroupCommitSettings(
                group.get("commit").asBoolean().orElse(defaults.enabled()),
                group.get("committers").asInt().orElse(defaults.committers()),
                group.get("max").asInt().orElse(defaults.maxGroup()),
                Duration.ofMillis(group.get("wait").asLong().orElse(defaults.maxWait().toMillis())),
                group.get("inline").asInt().orElse(defaults.inline()));
    }

    /**
     * The password hashing pool under {@code argon2}: {@code threads} defaults to one fewer than the
     * available processors (at least 1), {@code queue} to twice the threads.
     */
    static BoundedPasswordHasher.Limits hashingLimits(Config argon2) {
        int threads = argon2.get("threads").asInt().orElse(BoundedPasswordHasher.Limits.defaults().threads());
        return new BoundedPasswordHasher.Limits(threads, argon2.get("queue").asInt().orElse(2 * threads));
    }
}
