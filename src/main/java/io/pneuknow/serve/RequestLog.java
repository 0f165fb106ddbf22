package io.pneuknow.serve;

import io.javalin.http.Context;
import java.io.PrintStream;
import java.time.Instant;
import java.util.Locale;

/**
 * The service's records of its requests: one access-log line per request (time, client address, method, path,
 * status, milliseconds, request id, for uploads the SHA-256 of the bytes, and {@code forwarded=malformed} when a
 * trusted proxy's {@code X-Forwarded-For} could not be read, {@link ClientAddress}) and, with an audit log, two JSON
 * lines per {@code /v1} request, at its start and at its end ({@link AuditLog}). Never the upload's file name,
 * pixels or header values; the path, which the client chooses, is cut to {@value AuditLog#MAX_FIELD} characters
 * in both logs, and in the access log anything but printable ASCII is escaped ({@code \\uXXXX}).
 */
public final class RequestLog implements AutoCloseable {
    /** The longest path written for a refusal of the HTTP layer (a 414's URI may be kilobytes). */
    static final int MAX_LOGGED_PATH = 200;

    private final PrintStream accessLog;
    private final AuditLog audit;
    private final String weightsSha256;
    private final ClientAddress clients;

    /**
     * @param auditLog the audit log's file and rotation; null for none
     * @param weightsSha256 the served model's weights hash, written in every audit end line
     * @param clients who a request came from (its peer, or the client a trusted proxy names)
     */
    public RequestLog(PrintStream accessLog, AuditLog.Options auditLog, String weightsSha256, ClientAddress clients) {
        this.accessLog = accessLog;
        this.clients = clients;
        this.audit = auditLog == null ? null : AuditLog.open(auditLog);
        this.weightsSha256 = weightsSha256;
    }

    /** Whether {@link #auditStart(Context)} and {@link #audit(Context)} write anything. */
    boolean audits() {
        return audit != null;
    }

    /** Writes the request's access-log line. */
    public void access(Context ctx) {
        long millis = RequestAttributes.millis(ctx);
        String sha = RequestAttributes.uploadSha256(ctx);
        ClientAddress.Found client = clients.of(ctx);
        accessLog.println(String.format(Locale.ROOT, "%s %s %s %s %d %dms id=%s%s%s", Instant.now(), client.address(),
                ctx.method(), printable(AuditLog.bounded(ctx.path())), ctx.statusCode(), millis,
                RequestAttributes.requestId(ctx), sha == null ? "" : " sha256=" + sha,
                client.malformed() ? " forwarded=malformed" : ""));
    }

    /** Writes the audit line of the request's arrival; a failure is noted in the access log. */
    void auditStart(Context ctx) {
        try {
            audit.write(new AuditLog.Start(Instant.now().toString(), RequestAttributes.requestId(ctx),
                    clients.of(ctx).address(), ctx.method().name(), ctx.path()));
        } catch (RuntimeException e) {
            auditFailed(ctx, e);
        }
    }

    /**
     * Records a refusal the HTTP layer made before the routes saw the request: an access-log line and, with an
     * audit log, an audit line (result: the error's code). {@code method} and {@code path} are {@code -} when the
     * request could not be parsed; the path is cut to {@value #MAX_LOGGED_PATH} characters.
     */
    void refused(ClientAddress.Found client, String method, String path, int status, String code, String requestId) {
        String shownPath = path.length() > MAX_LOGGED_PATH ? path.substring(0, MAX_LOGGED_PATH) + "..." : path;
        String clientAddress = client.address();
        accessLog.println(String.format(Locale.ROOT, "%s %s %s %s %d 0ms id=%s refused=%s%s", Instant.now(),
                clientAddress, method, shownPath, status, requestId, code,
                client.malformed() ? " forwarded=malformed" : ""));
        if (audit != null) {
            try {
                audit.write(new AuditLog.End(Instant.now().toString(), requestId, null, clientAddress, method,
                        shownPath, status, null, weightsSha256, code, 0));
            } catch (RuntimeException e) {
                accessLog.println(Instant.now() + " cannot write the audit log for request " + requestId + ": "
                        + e.getClass().getName());
            }
        }
    }

    /** Writes the request's audit end line (result: the error code, else {@code http_STATUS} or the label, else ok); a failure is noted in the access log. */
    void audit(Context ctx) {
        long millis = RequestAttributes.millis(ctx);
        String code = RequestAttributes.errorCode(ctx);
        String label = RequestAttributes.result(ctx);
        int status = ctx.statusCode();
        String result = code != null ? code : status >= 400 ? "http_" + status : label != null ? label : "ok";
        Principal principal = RequestAttributes.principal(ctx);
        try {
            audit.write(new AuditLog.End(Instant.now().toString(), RequestAttributes.requestId(ctx),
                    principal == null ? null : principal.id(), clients.of(ctx).address(), ctx.method().name(), ctx.path(), status,
                    RequestAttributes.uploadSha256(ctx), weightsSha256, result, millis));
        } catch (RuntimeException e) {
            auditFailed(ctx, e);
        }
    }

    private void auditFailed(Context ctx, RuntimeException e) {
        accessLog.println(Instant.now() + " cannot write the audit log for request " + RequestAttributes.requestId(ctx)
                + ": " + e.getClass().getName() + (e.getMessage() == null ? "" : " (" + e.getMessage().lines().findFirst()
                .orElse("") + ")"));
    }

    /** {@code text} with anything but printable ASCII (and the backslash) written as {@code \\uXXXX}. */
    static String printable(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x21 || c > 0x7e || c == '\\') {
                out.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    /** Closes the audit log. */
    @Override
    public void close() {
        if (audit != null) {
            audit.close();
        }
    }
}
