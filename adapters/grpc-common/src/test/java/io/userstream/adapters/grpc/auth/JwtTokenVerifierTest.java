package io.userstream.adapters.grpc.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import java.util.Set;

class JwtTokenVerifierTest {

    private static final KeyPair RSA = generate("RSA", 2048);
    private static final KeyPair STRANGER = generate("RSA", 2048);

    @TempDir
    Path dir;

    @Test
    void a_token_signed_with_the_configured_key_proves_its_subject_and_scopes() throws Exception {
        JwtTokenVerifier verifier = verifier(pem(RSA), Optional.of("https://idp"), Optional.of("userstream"));
        Principal caller = verifier.verify(sign(new RSASSASigner(RSA.getPrivate()), JWSAlgorithm.RS256,
                claims("alice").claim("scope", "users:read users:write").build()));
        assertThat(caller.subject()).isEqualTo("alice");
        assertThat(caller.scopes()).containsExactlyInAnyOrder("users:read", "users:write");

        // Azure AD and others send the scopes as an scp array.
        Principal other = verifier.verify(sign(new RSASSASigner(RSA.getPrivate()), JWSAlgorithm.PS256,
                claims("svc").claim("scp", List.of("users:read:all")).build()));
        assertThat(other.scopes()).containsExactly("users:read:all");
    }

    @Test
    void tokens_that_cannot_be_trusted_are_refused() throws Exception {
        JwtTokenVerifier verifier = verifier(pem(RSA), Optional.of("https://idp"), Optional.of("userstream"));
        RSASSASigner trusted = new RSASSASigner(RSA.getPrivate());
        List<String> refused = List.of(
                sign(new RSASSASigner(STRANGER.getPrivate()), JWSAlgorithm.RS256, claims("alice").build()),
                sign(trusted, JWSAlgorithm.RS256, claims("alice").expirationTime(Date.from(Instant.now().minusSeconds(120))).build()),
                sign(trusted, JWSAlgorithm.RS256, claims("alice").notBeforeTime(Date.from(Instant.now().plusSeconds(600))).build()),
                sign(trusted, JWSAlgorithm.RS256, claims("alice").issuer("https://evil").build()),
                sign(trusted, JWSAlgorithm.RS256, claims("alice").audience("another-api").build()),
                sign(trusted, JWSAlgorithm.RS256, claims("alice").expirationTime(null).build()),
                sign(trusted, JWSAlgorithm.RS256, claims(null).build()),
                // alg none, and HS256 keyed with the public key's bytes: the algorithm-confusion attack.
                new PlainJWT(claims("alice").build()).serialize(),
                sign(new MACSigner(padded(RSA.getPublic().getEncoded())), JWSAlgorithm.HS256, claims("alice").build()),
                "not.a.jwt", "");
        for (String token : refused) {
            assertThatThrownBy(() -> verifier.verify(token)).as(token).isInstanceOf(InvalidTokenException.class);
        }
    }

    @Test
    void keys_come_from_a_jwks_file_or_an_ec_pem_key() throws Exception {
        Path jwks = dir.resolve("jwks.json");
        Files.writeString(jwks, new JWKSet(new RSAKey.Builder((RSAPublicKey) RSA.getPublic()).keyID("k1").build())
                .toString());
        JwtTokenVerifier fromJwks = new JwtTokenVerifier(new JwtTokenVerifier.Settings(Optional.of(jwks),
                Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty()));
        assertThat(fromJwks.verify(sign(new RSASSASigner(RSA.getPrivate()), JWSAlgorithm.RS256, claims("bob").build()))
                .subject()).isEqualTo("bob");

        KeyPair ec = generate("EC", 256);
        JwtTokenVerifier fromEc = verifier(pem(ec), Optional.empty(), Optional.empty());
        assertThat(fromEc.verify(sign(new ECDSASigner((ECPrivateKey) ec.getPrivate()), JWSAlgorithm.ES256,
                claims("carol").build())).subject()).isEqualTo("carol");
    }

    @Test
    void exactly_one_key_source_is_required() {
        assertThatThrownBy(() -> new JwtTokenVerifier.Settings(Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("exactly one key source");
        assertThatThrownBy(() -> new JwtTokenVerifier.Settings(Optional.of(Path.of("a")), Optional.empty(),
                Optional.of(Path.of("b")), Optional.empty(), Optional.empty()))
                .isInstanceOf(IllegalArgumentException.class);
        Path notAKey = dir.resolve("cert.pem");
        assertThatThrownBy(() -> {
            Files.writeString(notAKey, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
            verifier(notAKey, Optional.empty(), Optional.empty());
        }).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("BEGIN PUBLIC KEY");
    }

    @Test
    void the_owner_check_compares_uuids_whatever_their_case() {
        String id = "0190f1c2-7a9b-7c3d-8e4f-123456789abc";
        assertThat(AccessRule.ownAccount(Scopes.READ, Scopes.ADMIN).needsOwnerCheck(
                new Principal(id, Set.of(Scopes.READ)))).isTrue();
        assertThat(AccessRule.ownAccount(Scopes.READ, Scopes.ADMIN).needsOwnerCheck(
                new Principal(id, Set.of(Scopes.ADMIN)))).isFalse();
        assertThat(AccessRule.scope(Scopes.WRITE).admits(new Principal(id, Set.of(Scopes.READ)))).isFalse();
    }

    private JwtTokenVerifier verifier(Path key, Optional<String> issuer, Optional<String> audience) {
        return new JwtTokenVerifier(new JwtTokenVerifier.Settings(Optional.empty(), Optional.empty(), Optional.of(key),
                issuer, audience));
    }

    private static JWTClaimsSet.Builder claims(String subject) {
        return new JWTClaimsSet.Builder().subject(subject).issuer("https://idp").audience("userstream")
                .expirationTime(Date.from(Instant.now().plusSeconds(600)));
    }

    private static String sign(JWSSigner signer, JWSAlgorithm algorithm, JWTClaimsSet claims) throws Exception {
        SignedJWT jwt = new SignedJWT(new JWSHeader(algorithm), claims);
        jwt.sign(signer);
        return jwt.serialize();
    }

    private Path pem(KeyPair keys) throws Exception {
        Path file = Files.createTempFile(dir, "key", ".pem");
        Files.writeString(file, "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder().encodeToString(
                keys.getPublic().getEncoded()) + "\n-----END PUBLIC KEY-----\n");
        return file;
    }

    private static byte[] padded(byte[] secret) {
        return secret.length >= 32 ? secret : java.util.Arrays.copyOf(secret, 32);
    }

    private static KeyPair generate(String algorithm, int size) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance(algorithm);
            generator.initialize(size);
            return generator.generateKeyPair();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
