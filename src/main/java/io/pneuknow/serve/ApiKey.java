package io.pneuknow.serve;

import io.pneuknow.BadInputException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The service's API key, read from a file (its first line, trimmed). Compared in constant time over
 * SHA-256 digests, so that neither the key's characters nor its length show in the answer's timing.
 * {@link #toString()} never shows the key.
 */
public final class ApiKey {
    private final byte[] digest;

    private ApiKey(String key) {
        this.digest = sha256(key);
    }

    /** The key in the first line of {@code file}; a missing, unreadable or empty file is a {@link BadInputException}. */
    public static ApiKey fromFile(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new BadInputException(file + ": API key file not found; write the key on its first line, e.g. "
                    + "openssl rand -hex 32 > " + file);
        }
        String key;
        try {
            key = Files.readString(file, StandardCharsets.UTF_8).lines().findFirst().orElse("").trim();
        } catch (IOException e) {
            throw new BadInputException(file + ": cannot read the API key file (" + e.getMessage()
                    + "); check its permissions");
        }
        if (key.isEmpty()) {
            throw new BadInputException(file + ": the API key file is empty; write the key on its first line, e.g. "
                    + "openssl rand -hex 32 > " + file);
        }
        return new ApiKey(key);
    }

    /** A key given directly (tests). */
    static ApiKey of(String key) {
        if (key == null || key.isBlank()) {
            throw new IllegalArgumentException("empty API key");
        }
        return new ApiKey(key.trim());
    }

    /** Whether {@code given} is the key; null is not. */
    public boolean matches(String given) {
        return given != null && MessageDigest.isEqual(digest, sha256(given.trim()));
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return "ApiKey[hidden]";
    }
}
