package io.pneuknow.serve;

import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.pneuknow.BadInputException;
import java.io.PrintStream;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Maps what went wrong to the JSON error answer {@code {status, code, message, requestId}}: one line, never a
 * stack trace; internal errors are noted in the access log by request id only.
 */
public final class ErrorAnswers {
    private final long maxUploadBytes;
    private final PrintStream accessLog;

    /**
     * @param maxUploadBytes the upload limit, named when the HTTP layer refuses a request as too large
     * @param accessLog where internal errors are noted
     */
    public ErrorAnswers(long maxUploadBytes, PrintStream accessLog) {
        this.maxUploadBytes = maxUploadBytes;
        this.accessLog = accessLog;
    }

    /** The answer to an exception thrown while handling a request. */
    public void exception(Exception e, Context ctx) {
        if (e instanceof ApiException api) {
            write(ctx, api.status, api.code, api.getMessage());
        } else if (e instanceof BadInputException bad) {
            write(ctx, 400, "bad_image", firstLine(bad.getMessage()));
        } else if (e instanceof ModelPool.BusyException) {
            ctx.header("Retry-After", "1");
            write(ctx, 503, "busy", "the model is busy; retry in a second");
        } else if (e instanceof HttpResponseException http) {
            write(ctx, http.getStatus(), "http_" + http.getStatus(), firstLine(http.getMessage()));
        } else if (isSizeLimit(e)) {
            write(ctx, 413, "too_large", "the upload exceeds the limit of " + maxUploadBytes
                    + " bytes; send a smaller image");
        } else {
            accessLog.println(Instant.now() + " internal error in request " + RequestAttributes.requestId(ctx) + ": "
                    + e.getClass().getName());
            write(ctx, 500, "internal", "internal error; the request id identifies it in the server's log");
        }
    }

    /** The answer for a path without a route (unless an error answer was written already). */
    void notFound(Context ctx) {
        if (!RequestAttributes.hasError(ctx)) {
            write(ctx, 404, "not_found", "no route " + ctx.method() + " " + ctx.path()
                    + "; see GET /v1/model, POST /v1/predict, POST /v1/explain");
        }
    }

    /** The answer for a method a route does not take (unless an error answer was written already). */
    void methodNotAllowed(Context ctx) {
        if (!RequestAttributes.hasError(ctx)) {
            write(ctx, 405, "method_not_allowed", ctx.method() + " is not allowed on " + ctx.path());
        }
    }

    /** Whether {@code e} or a cause is the HTTP layer's refusal of a body over the size limit. */
    static boolean isSizeLimit(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = t.getMessage();
            if (m != null && (m.contains("exceeds max") || m.contains("maxRequestSize") || m.contains("too large"))) {
                return true;
            }
        }
        return false;
    }

    private static void write(Context ctx, int status, String code, String message) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", status);
        body.put("code", code);
        body.put("message", message);
        body.put("requestId", RequestAttributes.requestId(ctx));
        RequestAttributes.errorWritten(ctx, code);
        JsonAnswers.json(ctx, status, body);
    }

    private static String firstLine(String message) {
        return message == null ? "" : message.lines().findFirst().orElse("");
    }
}
