package io.pneuknow.annotate;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

/**
 * Per-person keys, as the service's API keys: 32 random bytes in base64url, shown once; only
 * {@code sha256:<hex>} of the key is stored (a key of 256 random bits needs no slow hash), compared in constant time.
 */
public final class Credentials {
    private static final SecureRandom RANDOM = new SecureRandom();

    private Credentials() {
    }

    /** A new random key (43 base64url characters). */
    public static String newKey() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** What is stored for a key: {@code sha256:} and the hex SHA-256 of its UTF-8 bytes. */
    public static String hash(String key) {
        try {
            return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(key.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Whether {@code key} hashes to {@code storedHash}; false when either is null. */
    static boolean matches(String key, String storedHash) {
        if (key == null || storedHash == null) {
            return false;
        }
        return MessageDigest.isEqual(hash(key).getBytes(StandardCharsets.UTF_8), storedHash.getBytes(StandardCharsets.UTF_8));
    }
}
