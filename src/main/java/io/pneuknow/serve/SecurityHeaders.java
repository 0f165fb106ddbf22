package io.pneuknow.serve;

import io.javalin.http.Context;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The headers every answer carries: a Content-Security-Policy fitted to the web page's own needs (its script and
 * stylesheet from this origin, pictures also from {@code blob:} and {@code data:} URLs, requests to this origin
 * only, never framed), {@code X-Content-Type-Options: nosniff}, {@code Referrer-Policy: no-referrer}, and
 * {@code Cache-Control: no-store} on the API's answers (predictions and heat maps are about a patient's image).
 * There is no cross-origin access: no {@code Access-Control-Allow-Origin} is ever sent and a preflight
 * ({@code OPTIONS}) is refused with 405.
 */
public final class SecurityHeaders {
    /**
     * The page's policy: what {@code web/index.html} and {@code web/app.js} load and nothing else ({@code data:} in
     * connect-src for the page's self-check, which fetches its test image from a {@code data:} URL; a
     * {@code data:} URL carries nothing away).
     */
    static final String CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self'; style-src 'self'; "
            + "img-src 'self' blob: data:; connect-src 'self' data:; font-src 'self'; object-src 'none'; base-uri 'none'; "
            + "form-action 'self'; frame-ancestors 'none'";

    /** The headers sent on every answer, the HTTP layer's own refusals included. */
    static final Map<String, String> ALWAYS = always();

    private SecurityHeaders() {
    }

    private static Map<String, String> always() {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Content-Security-Policy", CONTENT_SECURITY_POLICY);
        headers.put("X-Content-Type-Options", "nosniff");
        headers.put("Referrer-Policy", "no-referrer");
        headers.put("X-Frame-Options", "DENY");
        headers.put("Cross-Origin-Resource-Policy", "same-origin");
        return Map.copyOf(headers);
    }

    /** Sets the headers on a request's answer; on {@code /v1} and {@code /health} also {@code Cache-Control: no-store}. */
    public static void apply(Context ctx) {
        ALWAYS.forEach(ctx::header);
        String path = ctx.path();
        if (path.equals("/v1") || path.startsWith("/v1/") || path.equals("/health")) {
            ctx.header("Cache-Control", "no-store");
        }
    }
}
