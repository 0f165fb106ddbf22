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
