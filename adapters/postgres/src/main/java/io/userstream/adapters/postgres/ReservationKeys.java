package io.userstream.adapters.postgres;

import io.userstream.application.port.out.Reservation;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import java.util.Objects;

/**
 * How reservations are stored: an e-mail address as a keyed hash (HMAC-SHA256, hex), never in plaintext, so
 * that the table that must keep a value per user for uniqueness holds no personal data (an erased user's
 * address is released, and no stored value could give an address back without the key). Usernames are
 * public handles and stay as they are.
 *
 * <p>The key is configuration ({@code userstream.reservations.key}). It must not change once users exist:
 * an HMAC cannot be recomputed under a new key without the addresses.
 */
public final class ReservationKeys {

    /**
     * A fixed key for development and tests only: anyone can read it here, so it hides nothing. The
     * production profile refuses to start with it.
     */
    public static final ReservationKeys DEVELOPMENT =
            new ReservationKeys("userstream development reservation key".getBytes(StandardCharsets.UTF_8));

    /** One Mac object per thread: looking one up costs more than hashing an address (every CreateUser does). */
    private static final ThreadLocal<Mac> MACS = ThreadLocal.withInitial(() -> {
        try {
            return Mac.getInstance("HmacSHA256");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA256 is not available", e);
        }
    });

    private final SecretKeySpec key;

    /** @param secret at least 32 bytes */
    public ReservationKeys(byte[] secret) {
        Objects.requireNonNull(secret, "secret");
        if (secret.length < 32) {
            throw new IllegalArgumentException("the reservation key needs at least 32 bytes, not " + secret.length);
        }
        this.key = new SecretKeySpec(secret.clone(), "HmacSHA256");
    }

    /** The value stored for {@code reservation}. */
    String stored(Reservation reservation) {
        return reservation.kind() == Reservation.Kind.EMAIL ? hmac(reservation.key()) : reservation.key();
    }

    String hmac(String value) {
        try {
            Mac mac = MACS.get();
            mac.init(key);
            return HexFormat.of().formatHex(mac.doFinal(value.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA256 is not available", e);
        }
    }
}
