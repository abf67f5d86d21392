package io.userstream.cli;

import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Where the services are and how to reach them: the root command's options, each with an environment variable
 * default. Inherited, so they may also follow a command ({@code userstream user get ID -o json}).
 */
public final class ConnectionOptions {

    @Option(names = "--user-service", paramLabel = "HOST:PORT", scope = ScopeType.INHERIT,
            defaultValue = "${env:USERSTREAM_USER_SERVICE:-127.0.0.1:9090}",
            description = "user-service's gRPC address, also of the admin API (env USERSTREAM_USER_SERVICE; "
                    + "default ${DEFAULT-VALUE}).")
    String userService;

    @Option(names = "--stats-service", paramLabel = "HOST:PORT", scope = ScopeType.INHERIT,
            defaultValue = "${env:USERSTREAM_STATS_SERVICE:-127.0.0.1:9190}",
            description = "user-stats-service's gRPC address (env USERSTREAM_STATS_SERVICE; default ${DEFAULT-VALUE}).")
    String statsService;

    @Option(names = "--token", paramLabel = "TOKEN", scope = ScopeType.INHERIT,
            defaultValue = "${env:USERSTREAM_TOKEN}",
            description = "Sent as `authorization: Bearer TOKEN`: a JWT with the scopes the call needs (users:read, "
                    + "users:write, users:read:all, users:admin), or the admin token when authentication is off "
                    + "(env USERSTREAM_TOKEN; default none).")
    String token;

    @Option(names = "--actor", paramLabel = "NAME", scope = ScopeType.INHERIT,
            defaultValue = "${env:USERSTREAM_ACTOR}",
            description = "Sent as x-actor: who the events record as actor when authentication is off "
                    + "(env USERSTREAM_ACTOR).")
    String actor;

    @Option(names = "--tls", scope = ScopeType.INHERIT,
            description = "Use TLS, trusting the JDK's CA certificates (implied by --tls-ca, --tls-cert).")
    boolean tls;

    @Option(names = "--tls-ca", paramLabel = "PEM", scope = ScopeType.INHERIT,
            defaultValue = "${env:USERSTREAM_TLS_CA}",
            description = "CA certificates to trust the servers with; turns TLS on (env USERSTREAM_TLS_CA). "
                    + "Without any TLS option calls are plaintext.")
    Path tlsCa;

    @Option(names = "--tls-cert", paramLabel = "PEM", scope = ScopeType.INHERIT,
            defaultValue = "${env:USERSTREAM_TLS_CERT}",
            description = "Client certificate chain for mutual TLS, with --tls-key (env USERSTREAM_TLS_CERT).")
    Path tlsCert;

    @Option(names = "--tls-key", paramLabel = "PEM", scope = ScopeType.INHERIT,
            defaultValue = "${env:USERSTREAM_TLS_KEY}",
            description = "PKCS#8 private key of --tls-cert (env USERSTREAM_TLS_KEY).")
    Path tlsKey;

    @Option(names = "--deadline", paramLabel = "DURATION", scope = ScopeType.INHERIT,
            defaultValue = "${env:USERSTREAM_DEADLINE:-10s}", converter = DurationConverter.class,
            description = "Deadline of each call, e.g. 500ms, 10s, 2m (env USERSTREAM_DEADLINE; default ${DEFAULT-VALUE}).")
    Duration deadline;

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", scope = ScopeType.INHERIT,
            defaultValue = "${env:USERSTREAM_OUTPUT:-table}",
            description = "table (for people) or json (proto3 JSON, for scripts) (env USERSTREAM_OUTPUT; "
                    + "default ${DEFAULT-VALUE}).")
    Output.Format output;

    @Option(names = "--verbose", scope = ScopeType.INHERIT,
            description = "On an unexpected failure, print its stack trace too.")
    boolean verbose;

    Optional<String> token() {
        return blank(token);
    }

    Optional<String> actor() {
        return blank(actor);
    }

    boolean usesTls() {
        return tls || tlsCa != null || tlsCert != null || tlsKey != null;
    }

    private static Optional<String> blank(String value) {
        return value == null || value.isBlank() ? Optional.empty() : Optional.of(value.strip());
    }

    /** {@code 500ms}, {@code 10s}, {@code 2m}, {@code 1h}, or ISO-8601 ({@code PT10S}). */
    public static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            return parse(value);
        }

        public static Duration parse(String value) {
            String text = value.strip().toLowerCase(java.util.Locale.ROOT);
            try {
                if (text.startsWith("pt") || text.startsWith("p")) {
                    return positive(Duration.parse(text.toUpperCase(java.util.Locale.ROOT)), value);
                }
                if (text.endsWith("ms")) {
                    return positive(Duration.ofMillis(Long.parseLong(text.substring(0, text.length() - 2))), value);
                }
                long amount = Long.parseLong(text.substring(0, text.length() - 1));
                return positive(switch (text.charAt(text.length() - 1)) {
                    case 's' -> Duration.ofSeconds(amount);
                    case 'm' -> Duration.ofMinutes(amount);
                    case 'h' -> Duration.ofHours(amount);
                    default -> throw new NumberFormatException();
                }, value);
            } catch (RuntimeException e) {
                throw new CommandLine.TypeConversionException(
                        "'" + value + "' is not a duration: write e.g. 500ms, 10s, 2m, 1h");
            }
        }

        private static Duration positive(Duration duration, String value) {
            if (duration.isNegative() || duration.isZero()) {
                throw new IllegalArgumentException(value);
            }
            return duration;
        }
    }
}
