package io.pneuknow.serve;

import com.fasterxml.jackson.databind.ObjectWriter;
import io.pneuknow.BadInputException;
import io.pneuknow.Json;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The audit log: one JSON line per {@code /v1} request, appended to a file and flushed line by line.
 * One writer for all requests (lines from concurrent requests never interleave). It holds no pixel
 * data, no upload file names and no DICOM header values: only the upload's SHA-256.
 */
public final class AuditLog implements AutoCloseable {
    /**
     * One line.
     *
     * @param time ISO-8601 instant the answer was written
     * @param client the client's address as the server sees it
     * @param inputSha256 SHA-256 of the uploaded bytes; null when there was no upload
     * @param modelSha256 SHA-256 of the served model's weights
     * @param result the predicted label, the error code, or "ok" for other answers
     */
    public record Entry(String time, String requestId, String client, String method, String route, int status,
                        String inputSha256, String modelSha256, String result, long latencyMs) {
    }

    private static final ObjectWriter LINE = Json.MAPPER.writer().without(SerializationFeature.INDENT_OUTPUT);

    private final Writer out;

    private AuditLog(Writer out) {
        this.out = out;
    }

    /** Opens {@code file} for appending (created when missing); a path that cannot be written is a {@link BadInputException}. */
    public static AuditLog open(Path file) {
        try {
            return new AuditLog(Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE, StandardOpenOption.APPEND));
        } catch (IOException e) {
            throw new BadInputException(file + ": cannot open the audit log for appending (" + e.getClass().getSimpleName()
                    + "); give a writable file in an existing folder");
        }
    }

    /** Appends one line and flushes it. */
    public synchronized void write(Entry entry) {
        try {
            out.write(LINE.writeValueAsString(entry));
            out.write('\n');
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
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
