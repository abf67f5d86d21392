package io.userstream.bootstrap;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.grpc.CallCredentials;
import io.grpc.Metadata;
import io.userstream.adapters.grpc.auth.JwtTokenVerifier;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executor;

/**
 * An identity provider for tests: an RSA key pair of its own, its public key as a PEM file the services
 * are configured with, and tokens minted on demand (valid, expired, or signed by a stranger's key).
 */
final class TestTokens {

    static final String ISSUER = "https://idp.userstream.test";
    static final String AUDIENCE = "userstream";

    final Path publicKeyFile;
    private final KeyPair keys;
    private final KeyPair strangerKeys;

    TestTokens() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048);
            keys = generator.generateKeyPair();
            strangerKeys = generator.generateKeyPair();
            publicKeyFile = Files.createTempFile("userstream-jwt-", ".pem");
            publicKeyFile.toFile().deleteOnExit();
            Files.writeString(publicKeyFile, "-----BEGIN PUBLIC KEY-----\n"
                    + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(keys.getPublic().getEncoded())
                    + "\n-----END PUBLIC KEY-----\n");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** JWT authentication against this provider's key, issuer and audience; development profile, no TLS. */
    SecuritySettings security() {
        return new SecuritySettings(SecuritySettings.Profile.DEVELOPMENT, Optional.of(new JwtTokenVerifier.Settings(
                Optional.empty(), Optional.empty(), Optional.of(publicKeyFile), Optional.of(ISSUER),
                Optional.of(AUDIENCE))), Optional.empty());
    }

    /** A token for {@code subject} with {@code scopes}, valid for ten minutes. */
    String token(String subject, String... scopes) {
        return sign(keys, subject, Instant.now().plus(Duration.ofMinutes(10)), ISSUER, scopes);
    }

    /** A token that expired five minutes ago (past the verifier's one-minute clock skew). */
    String expired(String subject, String... scopes) {
        return sign(keys, subject, Instant.now().minus(Duration.ofMinutes(5)), ISSUER, scopes);
    }

    /** A well-formed token signed by a key the services do not trust. */
    String signedByStranger(String subject, String... scopes) {
        return sign(strangerKeys, subject, Instant.now().plus(Duration.ofMinutes(10)), ISSUER, scopes);
    }

    /** A token from another issuer, signed with the trusted key. */
    String fromOtherIssuer(String subject, String... scopes) {
        return sign(keys, subject, Instant.now().plus(Duration.ofMinutes(10)), "https://evil.test", scopes);
    }

    private static String sign(KeyPair keys, String subject, Instant expiry, String issuer, String... scopes) {
        JWTClaimsSet claims = new JWTClaimsSet.Builder()
                .subject(subject)
                .issuer(issuer)
                .audience(List.of(AUDIENCE))
                .issueTime(Date.from(Instant.now().minusSeconds(600)))
                .expirationTime(Date.from(expiry))
                .claim("scope", String.join(" ", scopes))
                .build();
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.RS256), claims);
        try {
            jwt.sign(new RSASSASigner(keys.getPrivate()));
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
        return jwt.serialize();
    }

    /** Sends {@code authorization: Bearer <token>} (or the raw value given) with a call. */
    static CallCredentials bearer(String token) {
        return new CallCredentials() {
            @Override
            public void applyRequestMetadata(RequestInfo requestInfo, Executor appExecutor, MetadataApplier applier) {
                Metadata headers = new Metadata();
                headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
                applier.apply(headers);
            }
        };
    }
}
