package io.pneuknow.serve;

import io.javalin.http.Context;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Locale;

/**
 * The service's records of its requests: one access-log line per request (time, client address, method, path,
 * status, milliseconds, request id and, for uploads, the SHA-256 of the bytes) and, with an audit log, one JSON
 * line per {@code /v1} request ({@link AuditLog}). Never the upload's file name, pixels or header values.
 */
final class RequestLog implements AutoCloseable {
    /** The longest path written for a refusal of the HTTP layer (a 414's URI may be kilobytes). */
    static final int MAX_LOGGED_PATH = 200;

    private final PrintStream accessLog;
    private final AuditLog audit;
    private final String weightsSha256;

    /**
     * @param auditLog file the audit log is appended to; null for none
     * @param weightsSha256 the served model's weights hash, written in every audit line
     */
    RequestLog(PrintStream accessLog, Path auditLog, String weightsSha256) {
        this.accessLog = accessLog;
        this.audit = auditLog == null ? null : AuditLog.open(auditLog);
        this.weightsSha256 = weightsSha256;
    }

    /** Whether {@link #audit(Context)} writes anything. */
    boolean audits() {
        return audit != null;
    }

    /** Writes the request's access-log line. */
    void access(Context ctx) {
        long millis = RequestAttributes.millis(ctx);
        String sha = RequestAttributes.uploadSha256(ctx);
        accessLog.println(String.format(Locale.ROOT, "%s %s %s %s %d %dms id=%s%s", Instant.now(), ctx.ip(),
                ctx.method(), ctx.path(), ctx.statusCode(), millis, RequestAttributes.requestId(ctx),
                sha == null ? "" : " sha256=" + sha));
    }

    /**
     * Records a refusal the HTTP layer made before the routes saw the request: an access-log line and, with an
     * audit log, an audit line (result: the error's code). {@code method} and {@code path} are {@code -} when the
     * request could not be parsed; the path is cut to {@value #MAX_LOGGED_PATH} characters.
     */
    void refused(String clientAddress, String method, String path, int status, String code, String requestId) {
        String shownPath = path.length() > MAX_LOGGED_PATH ? path.substring(0, MAX_LOGGED_PATH) + "..." : path;
        accessLog.println(String.format(Locale.ROOT, "%s %s %s %s %d 0ms id=%s refused=%s", Instant.now(),
                clientAddress, method, shownPath, status, requestId, code));
        if (audit != null) {
            try {
                audit.write(new AuditLog.Entry(Instant.now().toString(), requestId, clientAddress, method, shownPath,
                        status, null, weightsSha256, code, 0));
            } catch (RuntimeException e) {
                accessLog.println(Instant.now() + " cannot write the audit log for request " + requestId + ": "
                        + e.getClass().getName());
            }
        }
    }

    /** Writes the request's audit line (result: the error code, else {@code http_STATUS} or the label, else ok); a failure is noted in the access log. */
    void audit(Context ctx) {
        long millis = RequestAttributes.millis(ctx);
        String code = RequestAttributes.errorCode(ctx);
        String label = RequestAttributes.result(ctx);
        int status = ctx.statusCode();
        String result = code != null ? code : status >= 400 ? "http_" + status : label != null ? label : "ok";
        try {
            audit.write(new AuditLog.Entry(Instant.now().toString(), RequestAttributes.requestId(ctx), ctx.ip(),
                    ctx.method().name(), ctx.path(), status, RequestAttributes.uploadSha256(ctx), weightsSha256, result,
                    millis));
        } catch (RuntimeException e) {
            accessLog.println(Instant.now() + " cannot write the audit log for request " + RequestAttributes.requestId(ctx)
                    + ": " + e.getClass().getName());
        }
    }

    /** Closes the audit log. */
    @Override
    public void close() {
        if (audit != null) {
            audit.close();
        }
    }
}
