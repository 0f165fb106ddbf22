package io.pneuknow.serve;

import io.javalin.http.Context;
import java.io.PrintStream;
import java.time.Instant;

/**
 * Refuses a {@code /v1} request (401) that does not carry the service's API key, and an address that sent too many
 * wrong keys (429 with Retry-After, {@link FailedAuthLimiter}); a request that carries the key acts for the key's
 * {@link Principal}. A missing key is not counted as a failure (the page's first call has none); a wrong one is.
 *
 * @param key the key every {@code /v1} route requires
 * @param failures the wrong keys counted per client address
 * @param accessLog where an address being refused is noted
 * @param clients who a request came from (its peer, or the client a trusted proxy names)
 */
record ApiKeyCheck(ApiKey key, FailedAuthLimiter failures, PrintStream accessLog, ClientAddress clients) {
    /**
     * The principal the request acts for; throws 429 {@code too_many_failures} while the client's address is refused,
     * 401 {@code unauthorized} unless the request carries the key as {@code Authorization: Bearer KEY} or
     * {@code X-API-Key: KEY}.
     */
    Principal authorize(Context ctx) {
        String address = clients.of(ctx).address();
        long retryAfter = failures.retryAfterSeconds(address);
        if (retryAfter > 0) {
            ctx.header("Retry-After", Long.toString(retryAfter));
            throw new ApiException(429, "too_many_failures", "too many wrong API keys from this address; retry in "
                    + retryAfter + " s");
        }
        String given = ctx.header("X-API-Key");
        String authorization = ctx.header("Authorization");
        if (given == null && authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            given = authorization.substring(7);
        }
        if (key.matches(given)) {
            return key.principal();
        }
        if (given != null && failures.fail(address)) {
            accessLog.println(Instant.now() + " refusing " + FailedAuthLimiter.counted(address) + " (429): "
                    + failures.maxFailures() + " wrong API keys within " + failures.window().toSeconds()
                    + " s; last request id=" + RequestAttributes.requestId(ctx));
        }
        ctx.header("WWW-Authenticate", "Bearer realm=\"pneuknow\"");
        throw new ApiException(401, "unauthorized", (given == null ? "no API key" : "wrong API key")
                + "; send the key as the header 'Authorization: Bearer KEY' or 'X-API-Key: KEY'");
    }
}
