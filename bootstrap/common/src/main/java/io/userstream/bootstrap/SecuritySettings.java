package io.userstream.bootstrap;

import io.grpc.ServerCredentials;
import io.grpc.TlsServerCredentials;
import io.helidon.config.Config;
import io.userstream.adapters.grpc.auth.AccessRule;
import io.userstream.adapters.grpc.auth.Authentication;
import io.userstream.adapters.grpc.auth.JwtTokenVerifier;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * How a service proves who calls it and protects the wire: the {@code profile}, {@code auth} and
 * {@code tls} keys of its configuration section (the same keys for both services).
 *
 * <pre>
 * profile: development          # or production: refuses to start without authentication
 * auth:
 *   mode: none                  # or jwt
 *   jwt:
 *     jwks: ""                  # a JWKS file path, or an http(s) URL of one (an identity provider's)
 *     key: ""                   # or: a PEM public key file (RSA or EC)
 *     issuer: ""                # every token's iss, if set
 *     audience: ""              # a value every token's aud must include, if set
 * tls:
 *   cert: ""                    # PEM certificate chain and
 *   key: ""                     # PEM private key (PKCS#8): gRPC over TLS
 *   ca: ""                      # PEM CA certificates: clients must present a certificate they signed (mutual TLS)
 * </pre>
 *
 * @param profile the deployment profile
 * @param jwt     the token verification settings; empty when authentication is off
 * @param tls     the server's certificate; empty for plaintext
 */
record SecuritySettings(Profile profile, Optional<JwtTokenVerifier.Settings> jwt, Optional<Tls> tls) {

    private static final Logger LOG = Logger.getLogger(SecuritySettings.class.getName());

    /** What the service is run for. */
    enum Profile {
        /** Local runs and tests: authentication and TLS are optional (off by default). */
        DEVELOPMENT,
        /** Anything real: the service refuses to start without authentication. */
        PRODUCTION
    }

    /**
     * The server's TLS material.
     *
     * @param certificateChain PEM certificate chain
     * @param privateKey       PEM private key
     * @param clientCa         when present, clients must present a certificate signed by one of these (mTLS)
     */
    record Tls(Path certificateChain, Path privateKey, Optional<Path> clientCa) {
        Tls {
            Objects.requireNonNull(certificateChain, "certificateChain");
            Objects.requireNonNull(privateKey, "privateKey");
            Objects.requireNonNull(clientCa, "clientCa");
        }
    }

    /** No authentication, no TLS: the development default. */
    static final SecuritySettings OFF = new SecuritySettings(Profile.DEVELOPMENT, Optional.empty(), Optional.empty());

    SecuritySettings {
        Objects.requireNonNull(profile, "profile");
        Objects.requireNonNull(jwt, "jwt");
        Objects.requireNonNull(tls, "tls");
    }

    /**
     * Reads the keys above under {@code root} ({@code userstream} or {@code userstats}).
     *
     * @throws IllegalArgumentException on a value that cannot be right (an unknown mode, a half-given TLS
     *                                  key pair, JWT without a key source)
     */
    static SecuritySettings from(Config root) {
        Profile profile = enumValue(Profile.class, root.get("profile").asString().orElse("development"), "profile");
        String mode = root.get("auth.mode").asString().orElse("none").strip().toLowerCase(Locale.ROOT);
        Optional<JwtTokenVerifier.Settings> jwt = switch (mode) {
            case "none" -> Optional.empty();
            case "jwt" -> Optional.of(jwtSettings(root.get("auth.jwt")));
            default -> throw new IllegalArgumentException("auth.mode must be none or jwt, not '" + mode + "'");
        };
        Optional<Path> cert = path(root.get("tls.cert"));
        Optional<Path> key = path(root.get("tls.key"));
        Optional<Path> ca = path(root.get("tls.ca"));
        if (cert.isPresent() != key.isPresent()) {
            throw new IllegalArgumentException("tls.cert and tls.key go together: give both or neither");
        }
        if (ca.isPresent() && cert.isEmpty()) {
            throw new IllegalArgumentException("tls.ca (mutual TLS) needs tls.cert and tls.key as well");
        }
        return new SecuritySettings(profile, jwt,
                cert.map(chain -> new Tls(chain, key.orElseThrow(), ca)));
    }

    private static JwtTokenVerifier.Settings jwtSettings(Config node) {
        Optional<String> jwks = text(node.get("jwks"));
        boolean url = jwks.map(value -> value.startsWith("https://") || value.startsWith("http://")).orElse(false);
        return new JwtTokenVerifier.Settings(
                url ? Optional.empty() : jwks.map(Path::of),
                url ? jwks.map(URI::create) : Optional.empty(),
                path(node.get("key")),
                text(node.get("issuer")),
                text(node.get("audience")));
    }

    /**
     * Refuses a configuration that must not run: the production profile without authentication. Logs the
     * active mode either way, so an operator can tell from the first lines of the log.
     *
     * @param service the service's name, for the log
     * @throws IllegalStateException if the service must not start
     */
    void checkAndLog(String service) {
        if (profile == Profile.PRODUCTION && jwt.isEmpty()) {
            throw new IllegalStateException(service + " refuses to start: profile 'production' needs"
                    + " authentication, but auth.mode is 'none'. Set auth.mode=jwt with auth.jwt.jwks or"
                    + " auth.jwt.key (see README, 'Security').");
        }
        String auth = jwt.map(settings -> "JWT bearer tokens (" + settings + ")")
                .orElse("OFF: any caller may call every RPC (development only)");
        String wire = tls.map(t -> t.clientCa().isPresent() ? "TLS with client certificates (mutual TLS)" : "TLS")
                .orElse("plaintext");
        String line = service + " security: profile " + profile.name().toLowerCase(Locale.ROOT)
                + ", authentication " + auth + ", transport " + wire;
        if (jwt.isEmpty() || tls.isEmpty()) {
            LOG.warning(line);
        } else {
            LOG.info(line);
        }
    }

    /** The interceptor that authenticates and authorizes calls, if authentication is on. */
    Optional<Authentication> authentication(Map<String, AccessRule> rules) {
        return jwt.map(settings -> new Authentication(new JwtTokenVerifier(settings), rules));
    }

    /** The server's credentials, if TLS is on. */
    Optional<ServerCredentials> serverCredentials() {
        return tls.map(t -> {
            try {
                TlsServerCredentials.Builder credentials = TlsServerCredentials.newBuilder()
                        .keyManager(t.certificateChain().toFile(), t.privateKey().toFile());
                if (t.clientCa().isPresent()) {
                    credentials.trustManager(t.clientCa().get().toFile())
                            .clientAuth(TlsServerCredentials.ClientAuth.REQUIRE);
                }
                return credentials.build();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the TLS certificate or key (" + t + ")", e);
            }
        });
    }

    static Optional<String> text(Config node) {
        return node.asString().asOptional().map(String::strip).filter(value -> !value.isEmpty());
    }

    static Optional<Path> path(Config node) {
        return text(node).map(Path::of);
    }

    private static <E extends Enum<E>> E enumValue(Class<E> type, String value, String key) {
        try {
            return Enum.valueOf(type, value.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(key + " must be one of " + java.util.Arrays.toString(type.getEnumConstants())
                    .toLowerCase(Locale.ROOT) + ", not '" + value + "'");
        }
    }
}
