package io.userstream.adapters.postgres;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Encrypts the {@code personal} part of a stored payload with the user's data key, and opens it again,
 * or shows it as erased once the key is gone (crypto-shredding).
 *
 * <p>AES-256-GCM with a fresh 12-byte nonce per event; the user id is the additional authenticated data,
 * so a sealed part moved to another user's event fails to open instead of decrypting. A sealed part is
 * {@code {"alg": "A256GCM", "iv": <base64>, "ct": <base64>}} in place of the plaintext object; payloads
 * written before encryption (plaintext {@code personal}) are read as they are.
 */
final class PersonalDataCipher {

    /** Marks a sealed personal part; also its algorithm. */
    static final String ALGORITHM = "A256GCM";
    /** Bytes of a data key. */
    static final int KEY_BYTES = 32;
    private static final int NONCE_BYTES = 12;
    private static final int TAG_BITS = 128;
    private static final String ERASED_DOMAIN = "erased.invalid";

    /** What each event type keeps under {@code personal}; an erased part shows these fields empty. */
    private static final Map<String, List<String>> PERSONAL_FIELDS = Map.of(
            "UserCreated", List.of("email", "first_name", "last_name", "avatar_url"),
            "EmailChanged", List.of("old_email", "new_email"),
            "ProfileUpdated", List.of("first_name", "last_name", "avatar_url"));

    private static final SecureRandom RANDOM = new SecureRandom();
    /** One cipher object per thread: looking one up costs more than the decryption of a small part. */
    private static final ThreadLocal<Cipher> CIPHERS = ThreadLocal.withInitial(() -> {
        try {
            return Cipher.getInstance("AES/GCM/NoPadding");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES/GCM is not available", e);
        }
    });

    private PersonalDataCipher() {
    }

    /** A new random data key. */
    static byte[] newKey() {
        byte[] key = new byte[KEY_BYTES];
        RANDOM.nextBytes(key);
        return key;
    }

    /** Whether the payload's personal part is sealed (else plaintext, or absent). */
    static boolean isSealed(JsonNode payload) {
        return ALGORITHM.equals(payload.path("personal").path("alg").asText(null));
    }

    /** Replaces {@code payload}'s non-empty personal part with its sealed form, in place. */
    static void seal(ObjectNode payload, byte[] key, UUID stream, UserEventCodec json) {
        JsonNode personal = payload.get("personal");
        if (personal == null || personal.isEmpty()) {
            return;
        }
        byte[] nonce = new byte[NONCE_BYTES];
        RANDOM.nextBytes(nonce);
        byte[] ciphertext = run(Cipher.ENCRYPT_MODE, key, nonce, stream,
                json.write(personal).getBytes(StandardCharsets.UTF_8));
        ObjectNode sealed = payload.putObject("personal");
        sealed.put("alg", ALGORITHM);
        sealed.put("iv", Base64.getEncoder().encodeToString(nonce));
        sealed.put("ct", Base64.getEncoder().encodeToString(ciphertext));
    }

    /**
     * The payload with its personal part readable, changed in place (callers hand over a tree they have just
     * parsed): decrypted with {@code key}, or, without a key (the user was erased), each personal field of
     * {@code eventType} shown as erased. A plaintext part is kept.
     *
     * @throws IllegalStateException if the sealed part does not open with the key (tampered, or another key)
     */
    static JsonNode open(JsonNode payload, Optional<byte[]> key, UUID stream, String eventType, UserEventCodec json) {
        if (!isSealed(payload)) {
            return payload;
        }
        ObjectNode opened = (ObjectNode) payload;
        if (key.isEmpty()) {
            opened.set("personal", erased(eventType, stream, json));
            return opened;
        }
        JsonNode sealed = payload.get("personal");
        byte[] plaintext = run(Cipher.DECRYPT_MODE, key.get(), Base64.getDecoder().decode(sealed.path("iv").asText()),
                stream, Base64.getDecoder().decode(sealed.path("ct").asText()));
        try {
            opened.set("personal", json.mapper().readTree(plaintext));
        } catch (java.io.IOException e) {
            throw new IllegalStateException("the personal data of user " + stream + " is not JSON", e);
        }
        return opened;
    }

    /** The personal part of an erased user's event: names and avatar empty, e-mail addresses a placeholder. */
    static ObjectNode erased(String eventType, UUID stream, UserEventCodec json) {
        ObjectNode personal = json.mapper().createObjectNode();
        for (String field : PERSONAL_FIELDS.getOrDefault(eventType, List.of())) {
            personal.put(field, field.endsWith("email") ? erasedEmail(stream) : "");
        }
        return personal;
    }

    /**
     * The e-mail address an erased user shows: valid (the domain model accepts it) under the reserved
     * {@code .invalid} top-level domain (RFC 2606), so it can never reach anyone.
     */
    static String erasedEmail(UUID stream) {
        return "erased." + stream.toString().replace("-", "") + "@" + ERASED_DOMAIN;
    }

    private static byte[] run(int mode, byte[] key, byte[] nonce, UUID stream, byte[] input) {
        try {
            Cipher cipher = CIPHERS.get();
            cipher.init(mode, new SecretKeySpec(key, "AES"), new GCMParameterSpec(TAG_BITS, nonce));
            cipher.updateAAD(ByteBuffer.allocate(16).putLong(stream.getMostSignificantBits())
                    .putLong(stream.getLeastSignificantBits()).array());
            return cipher.doFinal(input);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the personal data of user " + stream + " does not "
                    + (mode == Cipher.ENCRYPT_MODE ? "encrypt" : "decrypt with its key (tampered or wrong key)"), e);
        }
    }
}
