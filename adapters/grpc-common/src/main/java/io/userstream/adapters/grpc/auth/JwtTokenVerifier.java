package io.userstream.adapters.grpc.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.X509EncodedKeySpec;
import java.text.ParseException;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Verifies JWT bearer tokens with Nimbus JOSE+JWT: the signature against the configured public keys,
 * then {@code exp} (required), {@code nbf}, and the issuer and audience when configured, with Nimbus's
 * one-minute clock skew.
 *
 * <p>Only asymmetric signatures (RSA, RSA-PSS, ECDSA) are accepted: the service holds public keys
 * only, so a token cannot be forged with them, and an {@code alg: none} or HMAC token signed with a public
 * key as the secret (the classic algorithm-confusion attack) is refused.
 */
public final class JwtTokenVerifier implements TokenVerifier {

    /** The signature algorithms accepted: every asymmetric one JOSE defines. */
    static final Set<JWSAlgorithm> ALGORITHMS = Set.of(
            JWSAlgorithm.RS256, JWSAlgorithm.RS384, JWSAlgorithm.RS512,
            JWSAlgorithm.PS256, JWSAlgorithm.PS384, JWSAlgorithm.PS512,
            JWSAlgorithm.ES256, JWSAlgorithm.ES384, JWSAlgorithm.ES512);

    /**
     * Where the keys come from and what the tokens must say. Exactly one key source is required.
     *
     * @param jwksFile      a JWKS document on disk (read once at start)
     * @param jwksUrl       a JWKS endpoint (cached and refreshed by Nimbus, e.g. an identity provider's)
     * @param publicKeyFile a single PEM public key (RSA or EC), handy for tests and small set-ups
     * @param issuer        the {@code iss} every token must carry, if set
     * @param audience      the {@code aud} every token must include, if set
     */
    public record Settings(Optional<Path> jwksFile, Optional<URI> jwksUrl, Optional<Path> publicKeyFile,
                           Optional<String> issuer, Optional<String> audience) {

        public Settings {
            Objects.requireNonNull(jwksFile, "jwksFile");
            Objects.requireNonNull(jwksUrl, "jwksUrl");
            Objects.requireNonNull(publicKeyFile, "publicKeyFile");
            Objects.requireNonNull(issuer, "issuer");
            Objects.requireNonNull(audience, "audience");
            long sources = List.of(jwksFile, jwksUrl, publicKeyFile).stream().filter(Optional::isPresent).count();
            if (sources != 1) {
                throw new IllegalArgumentException("JWT authentication needs exactly one key source (a JWKS file,"
                        + " a JWKS URL or a PEM public key file), not " + sources);
            }
        }

        @Override
        public String toString() {
            return "keys from " + jwksFile.map(path -> "JWKS file " + path)
                    .or(() -> jwksUrl.map(url -> "JWKS URL " + url))
                    .orElseGet(() -> "PEM public key " + publicKeyFile.orElseThrow())
                    + issuer.map(value -> ", issuer " + value).orElse("")
                    + audience.map(value -> ", audience " + value).orElse("");
        }
    }

    private final DefaultJWTProcessor<SecurityContext> processor;

    /** @throws IllegalArgumentException if the configured keys cannot be read (so the service does not start) */
    public JwtTokenVerifier(Settings settings) {
        this(keys(settings), settings.issuer(), settings.audience());
    }

    JwtTokenVerifier(JWKSource<SecurityContext> keys, Optional<String> issuer, Optional<String> audience) {
        processor = new DefaultJWTProcessor<>();
        processor.setJWSKeySelector(new JWSVerificationKeySelector<>(ALGORITHMS, keys));
        JWTClaimsSet.Builder exact = new JWTClaimsSet.Builder();
        issuer.ifPresent(exact::issuer);
        processor.setJWTClaimsSetVerifier(new DefaultJWTClaimsVerifier<>(audience.orElse(null), exact.build(),
                Set.of("sub", "exp")));
    }

    @Override
    public Principal verify(String token) throws InvalidTokenException {
        JWTClaimsSet claims;
        try {
            claims = processor.process(token, null);
        } catch (ParseException e) {
            throw new InvalidTokenException("the bearer token is not a JWT");
        } catch (BadJOSEException e) {
            // Nimbus's messages name the failed check ("Expired JWT", "Signed JWT rejected: Invalid
            // signature", "JWT audience rejected") and never echo the token.
            throw new InvalidTokenException(e.getMessage());
        } catch (JOSEException e) {
            throw new InvalidTokenException("the bearer token could not be verified");
        }
        return new Principal(claims.getSubject(), scopes(claims));
    }

    /** OAuth 2.0's space-separated {@code scope} (RFC 8693), or {@code scp} as a string or an array. */
    static Set<String> scopes(JWTClaimsSet claims) {
        Set<String> scopes = new HashSet<>();
        for (String name : List.of("scope", "scp")) {
            Object value = claims.getClaim(name);
            if (value instanceof String text) {
                scopes.addAll(Arrays.asList(text.trim().split("\\s+")));
            } else if (value instanceof List<?> list) {
                list.forEach(item -> scopes.add(String.valueOf(item)));
            }
        }
        scopes.remove("");
        return scopes;
    }

    /**
     * A PEM {@code PUBLIC KEY} (X.509 SubjectPublicKeyInfo, as {@code openssl pkey -pubout} writes it), RSA or
     * EC, read with the JDK alone (Nimbus's own PEM reader would need BouncyCastle's PKIX library).
     */
    static JWK publicKey(String pem) throws GeneralSecurityException {
        int begin = pem.indexOf("-----BEGIN PUBLIC KEY-----");
        int end = pem.indexOf("-----END PUBLIC KEY-----");
        if (begin < 0 || end < begin) {
            throw new IllegalArgumentException("no '-----BEGIN PUBLIC KEY-----' block (a PEM public key is needed,"
                    + " not a certificate or a private key)");
        }
        byte[] der = Base64.getMimeDecoder().decode(pem.substring(begin + 26, end));
        X509EncodedKeySpec spec = new X509EncodedKeySpec(der);
        try {
            return new RSAKey.Builder((RSAPublicKey) KeyFactory.getInstance("RSA").generatePublic(spec)).build();
        } catch (InvalidKeySpecException notRsa) {
            ECPublicKey key = (ECPublicKey) KeyFactory.getInstance("EC").generatePublic(spec);
            return new ECKey.Builder(Curve.forECParameterSpec(key.getParams()), key).build();
        }
    }

    private static JWKSource<SecurityContext> keys(Settings settings) {
        try {
            if (settings.jwksFile().isPresent()) {
                return new ImmutableJWKSet<>(JWKSet.load(settings.jwksFile().get().toFile()));
            }
            if (settings.jwksUrl().isPresent()) {
                URL url = settings.jwksUrl().get().toURL();
                return JWKSourceBuilder.create(url).build();
            }
            return new ImmutableJWKSet<>(new JWKSet(publicKey(Files.readString(settings.publicKeyFile().orElseThrow()))));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the JWT verification keys (" + settings + ")", e);
        } catch (ParseException | GeneralSecurityException | IllegalArgumentException e) {
            throw new IllegalArgumentException("cannot parse the JWT verification keys (" + settings + "): "
                    + e.getMessage(), e);
        }
    }
}
