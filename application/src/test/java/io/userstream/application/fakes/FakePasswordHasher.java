package io.userstream.application.fakes;

import io.userstream.application.port.out.PasswordHasher;
import io.userstream.domain.user.PasswordHash;
import io.userstream.domain.user.PlainPassword;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * A fast, deterministic stand-in for the Argon2id hasher. Each hash is {@code $fake$<n>$<sha-256 hex>}:
 * the counter plays the role of a fresh salt (two hashes of one password differ), the digest lets
 * {@link #matches} work, and the plaintext is never kept.
 */
public final class FakePasswordHasher implements PasswordHasher {

    private static final String PREFIX = "$fake$";

    private final List<PasswordHash> produced = new ArrayList<>();

    @Override
    public synchronized PasswordHash hash(PlainPassword password) {
        PasswordHash hash = new PasswordHash(PREFIX + (produced.size() + 1) + "$" + digest(password));
        produced.add(hash);
        return hash;
    }

    @Override
    public boolean matches(PlainPassword password, PasswordHash hash) {
        String encoded = hash.encoded();
        return encoded.startsWith(PREFIX) && encoded.endsWith("$" + digest(password));
    }

    /** Only its own hashes: a carried-over bcrypt hash, say, is of a scheme it does not know. */
    @Override
    public boolean canVerify(PasswordHash hash) {
        return hash.encoded().startsWith(PREFIX);
    }

    /** How many times {@link #hash} was called. */
    public synchronized int calls() {
        return produced.size();
    }

    /** Every hash produced, in order. */
    public synchronized List<PasswordHash> produced() {
        return List.copyOf(produced);
    }

    /** The most recent hash produced. */
    public synchronized PasswordHash lastProduced() {
        return produced.getLast();
    }

    private static String digest(PlainPassword password) {
        try {
            byte[] bytes = MessageDigest.getInstance("SHA-256").digest(password.reveal().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
