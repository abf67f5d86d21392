package io.userstream.adapters.crypto;

import io.userstream.application.port.out.PasswordHasher;
import io.userstream.domain.user.PasswordHash;
import io.userstream.domain.user.PlainPassword;
import org.bouncycastle.crypto.DataLengthException;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;
import org.bouncycastle.crypto.params.Argon2Parameters;

import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Argon2id password hashes in PHC string format ({@code $argon2id$v=19$m=…,t=…,p=…$salt$hash}).
 *
 * <p>Defaults follow the OWASP Password Storage Cheat Sheet's first Argon2id option: 19 MiB of
 * memory, 2 iterations, parallelism 1, a 16-byte random salt and a 32-byte hash. The parameters
 * travel inside each hash, so raising them later still verifies old hashes.
 */
public final class Argon2idPasswordHasher implements PasswordHasher {

    /** OWASP's recommended minimum: m=19456 KiB, t=2, p=1. */
    public static final Parameters OWASP = new Parameters(19 * 1024, 2, 1);

    private static final int SALT_BYTES = 16;
    private static final int HASH_BYTES = 32;
    private static final Pattern PHC = Pattern.compile(
            "\\$argon2id\\$v=19\\$m=(\\d+),t=(\\d+),p=(\\d+)\\$([A-Za-z0-9+/]+)\\$([A-Za-z0-9+/]+)");
    /** bcrypt in modular crypt format, as OpenBSD, PHP, Spring, Django and most CRUD stacks write it. */
    private static final Pattern BCRYPT = Pattern.compile("\\$2[aby]\\$\\d{2}\\$[./A-Za-z0-9]{53}");
    private static final Base64.Encoder B64 = Base64.getEncoder().withoutPadding();
    private static final Base64.Decoder B64_DECODER = Base64.getDecoder();

    private final Parameters parameters;
    private final SecureRandom random = new SecureRandom();

    /**
     * Cost parameters of Argon2id.
     *
     * @param memoryKiB   memory per hash, in KiB
     * @param iterations  passes over the memory
     * @param parallelism lanes
     */
    public record Parameters(int memoryKiB, int iterations, int parallelism) {
    }

    public Argon2idPasswordHasher(Parameters parameters) {
        this.parameters = parameters;
    }

    @Override
    public PasswordHash hash(PlainPassword password) {
        byte[] salt = new byte[SALT_BYTES];
        random.nextBytes(salt);
        byte[] hash = derive(password, salt, parameters, HASH_BYTES);
        return new PasswordHash("$argon2id$v=19$m=" + parameters.memoryKiB() + ",t=" + parameters.iterations()
                + ",p=" + parameters.parallelism() + "$" + B64.encodeToString(salt) + "$" + B64.encodeToString(hash));
    }

    @Override
    public boolean matches(PlainPassword password, PasswordHash stored) {
        if (BCRYPT.matcher(stored.encoded()).matches()) {
            return bcryptMatches(password, stored.encoded());
        }
        Matcher phc = PHC.matcher(stored.encoded());
        if (!phc.matches()) {
            return false;
        }
        Parameters recorded = new Parameters(Integer.parseInt(phc.group(1)), Integer.parseInt(phc.group(2)),
                Integer.parseInt(phc.group(3)));
        byte[] salt = B64_DECODER.decode(phc.group(4));
        byte[] expected = B64_DECODER.decode(phc.group(5));
        byte[] actual = derive(password, salt, recorded, expected.length);
        return MessageDigest.isEqual(expected, actual);
    }

    /** Argon2id hashes, and bcrypt ones carried over from a legacy system (see {@link #needsRehash}). */
    @Override
    public boolean canVerify(PasswordHash stored) {
        return PHC.matcher(stored.encoded()).matches() || BCRYPT.matcher(stored.encoded()).matches();
    }

    /**
     * Verifies a bcrypt hash with Bouncy Castle's implementation of OpenBSD's bcrypt (it compares in constant
     * time). bcrypt reads at most 72 bytes of the password: as every other implementation, so a legacy hash made
     * from a longer password still matches it.
     */
    private static boolean bcryptMatches(PlainPassword password, String encoded) {
        char[] secret = password.reveal().toCharArray();
        try {
            return OpenBSDBCrypt.checkPassword(encoded, secret);
        } catch (IllegalArgumentException | DataLengthException malformed) {
            return false;
        } finally {
            Arrays.fill(secret, '\0');
        }
    }

    /**
     * A hash not in this hasher's PHC format (a carried-over bcrypt hash, say), or made with less memory, fewer iterations or another
     * parallelism than configured now.
     */
    @Override
    public boolean needsRehash(PasswordHash stored) {
        Matcher phc = PHC.matcher(stored.encoded());
        if (!phc.matches()) {
            return true;
        }
        return Integer.parseInt(phc.group(1)) < parameters.memoryKiB()
                || Integer.parseInt(phc.group(2)) < parameters.iterations()
                || Integer.parseInt(phc.group(3)) != parameters.parallelism();
    }

    private static byte[] derive(PlainPassword password, byte[] salt, Parameters parameters, int length) {
        Argon2BytesGenerator generator = new Argon2BytesGenerator();
        generator.init(new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
                .withVersion(Argon2Parameters.ARGON2_VERSION_13)
                .withMemoryAsKB(parameters.memoryKiB())
                .withIterations(parameters.iterations())
                .withParallelism(parameters.parallelism())
                .withSalt(salt)
                .build());
        byte[] out = new byte[length];
        char[] secret = password.reveal().toCharArray();
        try {
            generator.generateBytes(secret, out);
        } finally {
            Arrays.fill(secret, '\0');
        }
        return out;
    }
}
