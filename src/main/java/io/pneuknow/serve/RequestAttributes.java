package io.pneuknow.serve;

import io.javalin.http.Context;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * What the service notes about one request on its Javalin context, for the filters, the endpoints, the error
 * answers and the logs: its id and start, whether it holds an in-flight permit, the upload's SHA-256, the
 * predicted label, the error code, the {@link Principal} the request acts for and its client's address
 * ({@link ClientAddress}).
 */
public final class RequestAttributes {
    private static final String REQUEST_ID = "requestId";
    private static final String STARTED = "started";
    private static final String PERMIT = "permit";
    private static final String UPLOAD_SHA = "uploadSha256";
    private static final String RESULT = "result";
    private static final String ERROR_CODE = "errorCode";
    private static final String ERROR_WRITTEN = "errorWritten";
    private static final String PRINCIPAL = "principal";
    private static final String CLIENT = "client";
    private static final SecureRandom RANDOM = new SecureRandom();

    private RequestAttributes() {
    }

    /** Notes the request's start and gives it a random id, also sent as the header {@code X-Request-Id}. */
    public static void begin(Context ctx) {
        ctx.attribute(STARTED, System.nanoTime());
        String id = newId();
        ctx.attribute(REQUEST_ID, id);
        ctx.header("X-Request-Id", id);
    }

    /** A new random request id (16 hex digits). */
    static String newId() {
        return HexFormat.of().toHexDigits(RANDOM.nextLong());
    }

    /** The request's id; empty when it has none. */
    public static String requestId(Context ctx) {
        String id = ctx.attribute(REQUEST_ID);
        return id == null ? "" : id;
    }

    /** {@link System#nanoTime()} at the request's start; null when not noted. */
    static Long started(Context ctx) {
        return ctx.attribute(STARTED);
    }

    /** Milliseconds since the request's start; 0 when not noted. */
    public static long millis(Context ctx) {
        Long started = started(ctx);
        return started == null ? 0 : (System.nanoTime() - started) / 1_000_000;
    }

    /** Notes that the request holds an in-flight permit. */
    static void holdPermit(Context ctx) {
        ctx.attribute(PERMIT, Boolean.TRUE);
    }

    /** Whether the request held an in-flight permit; it no longer does after this call. */
    static boolean takePermit(Context ctx) {
        if (Boolean.TRUE.equals(ctx.attribute(PERMIT))) {
            ctx.attribute(PERMIT, Boolean.FALSE);
            return true;
        }
        return false;
    }

    /** Notes the SHA-256 of the upload's bytes (hex), for the logs. */
    static void uploadSha256(Context ctx, String sha256) {
        ctx.attribute(UPLOAD_SHA, sha256);
    }

    /** The SHA-256 of the upload's bytes; null when the request had none. */
    static String uploadSha256(Context ctx) {
        return ctx.attribute(UPLOAD_SHA);
    }

    /** Notes the label the model gave, for the audit log. */
    static void result(Context ctx, String label) {
        ctx.attribute(RESULT, label);
    }

    /** The label the model gave; null when none. */
    static String result(Context ctx) {
        return ctx.attribute(RESULT);
    }

    /** Notes that an error answer with this code was written. */
    static void errorWritten(Context ctx, String code) {
        ctx.attribute(ERROR_WRITTEN, Boolean.TRUE);
        ctx.attribute(ERROR_CODE, code);
    }

    /** Whether an error answer was written already. */
    public static boolean hasError(Context ctx) {
        return ctx.attribute(ERROR_WRITTEN) != null;
    }

    /** The code of the error answer written; null when none. */
    static String errorCode(Context ctx) {
        return ctx.attribute(ERROR_CODE);
    }

    /** Notes the principal the request acts for, once its credentials were checked. */
    static void principal(Context ctx, Principal principal) {
        ctx.attribute(PRINCIPAL, principal);
    }

    /** The principal the request acts for; null when its credentials were not (or not yet) accepted. */
    static Principal principal(Context ctx) {
        return ctx.attribute(PRINCIPAL);
    }

    /** Notes the request's client, once found. */
    static void client(Context ctx, ClientAddress.Found client) {
        ctx.attribute(CLIENT, client);
    }

    /** The request's client; null when not yet found. */
    static ClientAddress.Found client(Context ctx) {
        return ctx.attribute(CLIENT);
    }
}
