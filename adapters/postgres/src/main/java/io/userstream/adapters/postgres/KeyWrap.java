package io.userstream.adapters.postgres;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.UUID;

/**
 * How users' data keys are kept in {@code user_keys}: as they are, or wrapped (encrypted) under a master
 * key from configuration, so that a copy of the database alone does not hold what opens the personal data.
 *
 * <p>A wrapped key is {@code 0x01 ‖ nonce (12) ‖ AES-256-GCM(master, data key) (48)}, with the user id as
 * authenticated data (a wrapped key copied to another user does not open). A stored key of 32 bytes is an
 * unwrapped one: written before the master key was configured, it still opens, so a master key can be
 * introduced at any time (new keys are wrapped from then on).
 */
public final class KeyWrap {

    /** No master key: data keys are stored as they are. */
    public static final KeyWrap NONE = new KeyWrap(null);

    private static final byte WRAPPED = 1;
    private static final int NONCE_BYTES = 12;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final SecretKeySpec master;
    /**
     * The last key this thread unwrapped: a stream's events arrive together (a load, a batch of the log), each
     * row carrying the same stored key, which is then unwrapped once rather than once per event.
     */
    private final ThreadLocal<Unwrapped> last = new ThreadLocal<>();

    private record Unwrapped(UUID stream, byte[] stored, byte[] key) {
    }

    private KeyWrap(byte[] master) {
        this.master = master == null ? null : new SecretKeySpec(master.clone(), "AES");
    }

    /** @param master 32 random bytes */
    public static KeyWrap withMasterKey(byte[] master) {
        if (master == null || master.length != 32) {
            throw new IllegalArgumentException("the master key must be 32 bytes (base64 of 32 random bytes), not "
                    + (master == null ? "none" : master.length + " bytes"));
        }
        return new KeyWrap(master);
    }

    /** Whether data keys are wrapped under a master key. */
    public boolean wraps() {
        return master != null;
    }

    /** The form of {@code dataKey} to store for {@code stream}. */
    byte[] wrap(byte[] dataKey, UUID stream) {
        if (master == null) {
            return dataKey;
        }
        byte[] nonce = new byte[NONCE_BYTES];
        RANDOM.nextBytes(nonce);
        byte[] wrapped = run(Cipher.ENCRYPT_MODE, nonce, stream, dataKey);
        return ByteBuffer.allocate(1 + NONCE_BYTES + wrapped.length).put(WRAPPED).put(nonce).put(wrapped).array();
    }

    /**
     * The data key of a stored one.
     *
     * @throws IllegalStateException if it is wrapped and this has no master key, or another one
     */
    byte[] unwrap(byte[] stored, UUID stream) {
        if (stored.length == PersonalDataCipher.KEY_BYTES) {
            return stored;
        }
        if (stored[0] != WRAPPED) {
            throw new IllegalStateException("the data key of user " + stream + " has an unknown format");
        }
        if (master == null) {
            throw new IllegalStateException("the data key of user " + stream + " is wrapped under a master key, and"
                    + " none is configured (USERSTREAM_CRYPTO_MASTERKEY)");
        }
        Unwrapped previous = last.get();
        if (previous != null && previous.stream().equals(stream) && Arrays.equals(previous.stored(), stored)) {
            return previous.key();
        }
        byte[] key = run(Cipher.DECRYPT_MODE, Arrays.copyOfRange(stored, 1, 1 + NONCE_BYTES), stream,
                Arrays.copyOfRange(stored, 1 + NONCE_BYTES, stored.length));
        last.set(new Unwrapped(stream, stored.clone(), key));
        return key;
    }

    private byte[] run(int mode, byte[] nonce, UUID stream, byte[] input) {
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(mode, master, new GCMParameterSpec(128, nonce));
            cipher.updateAAD(ByteBuffer.allocate(16).putLong(stream.getMostSignificantBits())
                    .putLong(stream.getLeastSignificantBits()).array());
            return cipher.doFinal(input);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the data key of user " + stream + " does not "
                    + (mode == Cipher.ENCRYPT_MODE ? "wrap" : "unwrap with the configured master key"), e);
        }
    }
}
