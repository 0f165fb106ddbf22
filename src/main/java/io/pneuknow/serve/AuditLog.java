package io.pneuknow.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.pneuknow.BadInputException;
import io.pneuknow.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * The audit log: JSON lines, two per {@code /v1} request with the same request id, a {@code start} line when it
 * arrives and an {@code end} line when it is answered (a request in flight at a crash leaves its start line). One
 * writer for all requests: each line is one write of whole bytes under the lock, straight to the file (no buffer
 * to flush), so lines from concurrent requests never interleave; a write that fails midway is cut back, and a file
 * that ends in a half line (a crash of the machine) gets a line break before the next line. Every text field is
 * bounded ({@value #MAX_FIELD} characters, longer ones cut and marked) and the lines are ASCII (JSON escapes for
 * the rest, so no reader sees a line break inside a line). The file is readable by its owner only (0600, an
 * existing file tightened). When the next line would take the file over {@link Options#maxBytes()}, it is rotated:
 * FILE becomes FILE.1, FILE.1 FILE.2, and so on up to {@link Options#keepFiles()}, the oldest deleted. It holds
 * no pixel data, no upload file names and no DICOM header values: only the upload's SHA-256.
 */
public final class AuditLog implements AutoCloseable {
    /** Longest text field, in characters; longer ones are cut to this and marked "...(+N)" with the count of characters left out. */
    public static final int MAX_FIELD = 256;

    /**
     * Where and how much.
     *
     * @param file the current audit log
     * @param maxBytes size beyond which the file is rotated (at least 1)
     * @param keepFiles rotated files kept (FILE.1 ... FILE.N, at least 1)
     */
    public record Options(Path file, long maxBytes, int keepFiles) {
        /** The default size before rotation: 64 MiB. */
        public static final long DEFAULT_MAX_BYTES = 64L << 20;
        /** The default count of rotated files kept. */
        public static final int DEFAULT_KEEP_FILES = 10;

        public Options {
            if (file == null || maxBytes < 1 || keepFiles < 1) {
                throw new IllegalArgumentException("an audit log needs a file, maxBytes >= 1 and keepFiles >= 1");
            }
        }

        /** {@code file} with the default rotation. */
        public static Options of(Path file) {
            return new Options(file, DEFAULT_MAX_BYTES, DEFAULT_KEEP_FILES);
        }
    }

    /**
     * The line written when a request arrives, before its credentials are checked.
     *
     * @param time ISO-8601 instant the request arrived
     * @param event {@code start}
     * @param client the client's address as the server sees it
     * @param route the request's path (bounded)
     */
    public record Start(String time, String event, String requestId, String client, String method, String route) {
        public Start {
            time = bounded(time);
            event = bounded(event);
            requestId = bounded(requestId);
            client = bounded(client);
            method = bounded(method);
            route = bounded(route);
        }

        public Start(String time, String requestId, String client, String method, String route) {
            this(time, "start", requestId, client, method, route);
        }
    }

    /**
     * The line written when a request has been answered.
     *
     * @param time ISO-8601 instant the answer was written
     * @param event {@code end}
     * @param principal the {@link Principal#id()} the request acted for; null when its credentials were refused
     * @param client the client's address as the server sees it
     * @param route the request's path (bounded)
     * @param inputSha256 SHA-256 of the uploaded bytes; null when there was no upload
     * @param modelSha256 SHA-256 of the served model's weights
     * @param result the predicted label, the error code, or "ok" for other answers
     */
    public record End(String time, String event, String requestId, String principal, String client, String method,
                      String route, int status, String inputSha256, String modelSha256, String result, long latencyMs) {
        public End {
            time = bounded(time);
            event = bounded(event);
            requestId = bounded(requestId);
            principal = bounded(principal);
            client = bounded(client);
            method = bounded(method);
            route = bounded(route);
            inputSha256 = bounded(inputSha256);
            modelSha256 = bounded(modelSha256);
            result = bounded(result);
        }

        public End(String time, String requestId, String principal, String client, String method, String route,
                   int status, String inputSha256, String modelSha256, String result, long latencyMs) {
            this(time, "end", requestId, principal, client, method, route, status, inputSha256, modelSha256, result,
                    latencyMs);
        }
    }

    private static final ObjectWriter LINE = Json.MAPPER.writer().without(SerializationFeature.INDENT_OUTPUT)
            .with(JsonWriteFeature.ESCAPE_NON_ASCII);
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    private final Options options;
    private FileChannel out;

    private AuditLog(Options options, FileChannel out) {
        this.options = options;
        this.out = out;
    }

    /** Opens {@code file} for appending with the default rotation; see {@link #open(Options)}. */
    public static AuditLog open(Path file) {
        return open(Options.of(file));
    }

    /** Opens the file for appending (created 0600 when missing); a path that cannot be written is a {@link BadInputException}. */
    public static AuditLog open(Options options) {
        Path file = options.file();
        try {
            FileChannel channel = openChannel(file);
            if (channel.size() > 0 && !endsWithLineBreak(file)) {
                writeFully(channel, ByteBuffer.wrap(new byte[] {'\n'}));
            }
            return new AuditLog(options, channel);
        } catch (IOException | UnsupportedOperationException e) {
            throw new BadInputException(file + ": cannot open the audit log for appending (" + e.getClass().getSimpleName()
                    + "); give a writable file in an existing folder");
        }
    }

    private static FileChannel openChannel(Path file) throws IOException {
        boolean posix = file.toAbsolutePath().getFileSystem().supportedFileAttributeViews().contains("posix");
        Set<StandardOpenOption> modes = Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND);
        if (!posix) {
            return FileChannel.open(file, modes);
        }
        FileChannel channel = FileChannel.open(file, modes, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
        try {
            if (!Files.getPosixFilePermissions(file).equals(OWNER_ONLY)) {
                Files.setPosixFilePermissions(file, OWNER_ONLY);
            }
        } catch (IOException e) {
            channel.close();
            throw e;
        }
        return channel;
    }

    private static boolean endsWithLineBreak(Path file) throws IOException {
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer last = ByteBuffer.allocate(1);
            in.read(last, in.size() - 1);
            return last.get(0) == '\n';
        }
    }

    /** {@code text} cut to {@value #MAX_FIELD} characters, marked with how many were left out; null stays null. */
    static String bounded(String text) {
        if (text == null || text.length() <= MAX_FIELD) {
            return text;
        }
        int end = Character.isHighSurrogate(text.charAt(MAX_FIELD - 1)) ? MAX_FIELD - 1 : MAX_FIELD;
        return text.substring(0, end) + "...(+" + (text.length() - end) + ")";
    }

    /** Appends the line of a request's arrival. */
    public void write(Start start) {
        append(start);
    }

    /** Appends the line of a request's answer. */
    public void write(End end) {
        append(end);
    }

    private synchronized void append(Object entry) {
        byte[] line;
        try {
            byte[] json = LINE.writeValueAsBytes(entry);
            line = new byte[json.length + 1];
            System.arraycopy(json, 0, line, 0, json.length);
            line[json.length] = '\n';
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        IOException rotation = null;
        try {
            long size = out.size();
            if (size > 0 && size + line.length > options.maxBytes()) {
                rotation = rotate();
            }
        } catch (IOException e) {
            rotation = e;
        }
        long before = -1;
        try {
            before = out.size();
            writeFully(out, ByteBuffer.wrap(line));
        } catch (IOException e) {
            try {
                if (before >= 0 && out.size() > before) {
                    out.truncate(before); // no half line
                }
            } catch (IOException ignored) {
                // the file is not writable at all; the caller notes the failure
            }
            throw new UncheckedIOException(e);
        }
        if (rotation != null) {
            throw new UncheckedIOException("the audit log could not be rotated; writing on in " + options.file(), rotation);
        }
    }

    /** FILE.(N-1) -> FILE.N, ..., FILE -> FILE.1, a new FILE; on failure the current FILE is (re)opened and the error returned. */
    private IOException rotate() {
        Path file = options.file();
        try {
            Files.deleteIfExists(rotated(options.keepFiles()));
            for (int i = options.keepFiles() - 1; i >= 1; i--) {
                if (Files.exists(rotated(i))) {
                    Files.move(rotated(i), rotated(i + 1), StandardCopyOption.ATOMIC_MOVE);
                }
            }
            out.close();
            Files.move(file, rotated(1), StandardCopyOption.ATOMIC_MOVE);
            out = openChannel(file);
            return null;
        } catch (IOException e) {
            try {
                if (!out.isOpen()) {
                    out = openChannel(file);
                }
            } catch (IOException again) {
                e.addSuppressed(again);
            }
            return e;
        }
    }

    private Path rotated(int index) {
        return options.file().resolveSibling(options.file().getFileName() + "." + index);
    }

    private static void writeFully(FileChannel channel, ByteBuffer bytes) throws IOException {
        while (bytes.hasRemaining()) {
            channel.write(bytes);
        }
    }

    @Override
    public synchronized void close() {
        try {
            out.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
