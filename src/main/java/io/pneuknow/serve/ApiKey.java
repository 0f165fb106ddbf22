package io.pneuknow.serve;

import io.pneuknow.BadInputException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.EnumSet;
import java.util.HexFormat;

/**
 * The service's API key, read from a file (its first line, trimmed). A key must be at least 32 hex characters
 * (128 bits) or 22 base64url characters (132 bits), with at least {@value #MIN_DISTINCT} different characters;
 * anything else is refused with the command that makes one ({@link #make(Path)}, {@code pneuknow serve --make-key
 * FILE}). Kept only as its SHA-256 and compared in constant time over digests, so that neither the key's characters
 * nor its length show in the answer's timing. {@link #id()} names it in logs; {@link #toString()} never shows it.
 */
public final class ApiKey {
    /** Fewest hex characters a key of hex digits must have. */
    public static final int MIN_HEX = 32;
    /** Fewest characters a base64url key must have. */
    public static final int MIN_BASE64URL = 22;
    /** Fewest different characters a key must have (a random key has many more; "aaaa..." is refused). */
    public static final int MIN_DISTINCT = 8;
    /** Random bytes in a key {@link #make(Path)} writes (64 hex characters). */
    static final int MADE_BYTES = 32;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final byte[] digest;
    private final String id;

    private ApiKey(String key) {
        this.digest = sha256(key);
        this.id = "key:" + HexFormat.of().formatHex(sha256("pneuknow api key id\n" + key), 0, 6);
    }

    /** The key in the first line of {@code file}; a missing, unreadable, empty or weak key is a {@link BadInputException}. */
    public static ApiKey fromFile(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new BadInputException(file + ": API key file not found; make one with " + makeCommand(file));
        }
        String key;
        try {
            key = Files.readString(file, StandardCharsets.UTF_8).lines().findFirst().orElse("").trim();
        } catch (IOException e) {
            throw new BadInputException(file + ": cannot read the API key file (" + e.getClass().getSimpleName()
                    + "); check its permissions");
        }
        if (key.isEmpty()) {
            throw new BadInputException(file + ": the API key file is empty; make a key with " + makeCommand(file));
        }
        String weakness = weakness(key);
        if (weakness != null) {
            throw new BadInputException(file + ": the API key is too weak (" + weakness + "; it needs at least " + MIN_HEX
                    + " hex or " + MIN_BASE64URL + " base64url characters); make one with " + makeCommand(file));
        }
        return new ApiKey(key);
    }

    /** A key given directly (tests); refused as {@link #fromFile(Path)} refuses it. */
    static ApiKey of(String key) {
        String weakness = key == null || key.isBlank() ? "empty" : weakness(key.trim());
        if (weakness != null) {
            throw new IllegalArgumentException("weak API key: " + weakness);
        }
        return new ApiKey(key.trim());
    }

    /**
     * Why {@code key} is too weak to serve as an API key; null when it is strong enough. Hex digits only: at least
     * {@value #MIN_HEX}; otherwise base64url characters ({@code A-Z a-z 0-9 - _}, trailing {@code =} padding not
     * counted): at least {@value #MIN_BASE64URL}; any other character is refused.
     */
    static String weakness(String key) {
        String body = key.replaceAll("=+$", "");
        if (!body.matches("[A-Za-z0-9_-]*")) {
            return "it has characters other than hex or base64url (A-Z a-z 0-9 - _)";
        }
        boolean hex = body.matches("[0-9a-fA-F]*");
        int needed = hex ? MIN_HEX : MIN_BASE64URL;
        if (body.length() < needed) {
            return body.length() + (hex ? " hex" : " base64url") + " characters";
        }
        if (body.chars().distinct().count() < MIN_DISTINCT) {
            return "fewer than " + MIN_DISTINCT + " different characters";
        }
        return null;
    }

    /**
     * Writes a new random key ({@value #MADE_BYTES} bytes from {@link SecureRandom}, as hex) to {@code file}, readable
     * by its owner only (0600 where the file system has POSIX permissions), atomically: a temporary file beside it,
     * then moved into place. An existing file is not replaced (a {@link BadInputException}).
     *
     * @return the new key's {@link #id()}
     */
    public static String make(Path file) {
        if (Files.exists(file)) {
            throw new BadInputException(file + ": the file exists; remove it first to replace the key, or name a new file");
        }
        byte[] bytes = new byte[MADE_BYTES];
        RANDOM.nextBytes(bytes);
        String key = HexFormat.of().formatHex(bytes);
        Path dir = file.toAbsolutePath().getParent();
        Path tmp = null;
        try {
            tmp = ownerOnlyTempFile(dir, "." + file.getFileName());
            try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ByteBuffer buffer = ByteBuffer.wrap((key + "\n").getBytes(StandardCharsets.US_ASCII));
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                channel.force(true);
            }
            if (Files.exists(file)) {
                throw new FileAlreadyExistsException(file.toString());
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException e) {
            throw new BadInputException(file + ": the file exists; remove it first to replace the key, or name a new file");
        } catch (IOException e) {
            throw new BadInputException(file + ": cannot write the key (" + e.getClass().getSimpleName()
                    + "); give a writable file in an existing folder");
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // the move succeeded, or the temporary file is gone already
                }
            }
        }
        return new ApiKey(key).id();
    }

    private static Path ownerOnlyTempFile(Path dir, String prefix) throws IOException {
        if (dir.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            return Files.createTempFile(dir, prefix, ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        }
        return Files.createTempFile(dir, prefix, ".tmp");
    }

    /**
     * A one-line warning when others than its owner may read {@code file} (POSIX group or other bits), naming the
     * remedy; null when only its owner may, or the file system has no POSIX permissions.
     */
    public static String exposureWarning(Path file) {
        try {
            if (!file.toAbsolutePath().getFileSystem().supportedFileAttributeViews().contains("posix")) {
                return null;
            }
            String permissions = PosixFilePermissions.toString(Files.getPosixFilePermissions(file));
            if (permissions.substring(3).equals("------")) {
                return null;
            }
            return file + ": the API key file is readable by others (" + permissions + "); chmod 600 " + file;
        } catch (IOException e) {
            return null;
        }
    }

    /** The command that makes a key in {@code file}, for error messages. */
    static String makeCommand(Path file) {
        return "'pneuknow serve --make-key " + file + "' (or: openssl rand -hex 32 > " + file + ")";
    }

    /** Whether {@code given} is the key; null is not. */
    public boolean matches(String given) {
        return given != null && MessageDigest.isEqual(digest, sha256(given.trim()));
    }

    /** The key's name for logs: {@code key:} and 12 hex characters of a hash of the key; never the key. */
    public String id() {
        return id;
    }

    /** The principal a request that presents this key acts for: every role. */
    public Principal principal() {
        return new Principal(id, EnumSet.allOf(Principal.Role.class));
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
        return "ApiKey[" + id + "]";
    }
}
