package io.pneuknow.serve;

import io.javalin.http.Context;

/** Refuses a {@code /v1} request (401) that does not carry the service's API key. */
record ApiKeyCheck(ApiKey key) {
    /** Refuses the request (401) unless it carries the API key as {@code Authorization: Bearer KEY} or {@code X-API-Key: KEY}. */
    void authorize(Context ctx) {
        String given = ctx.header("X-API-Key");
        String authorization = ctx.header("Authorization");
        if (given == null && authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            given = authorization.substring(7);
        }
        if (!key.matches(given)) {
            ctx.header("WWW-Authenticate", "Bearer realm=\"pneuknow\"");
            throw new ApiException(401, "unauthorized", (given == null ? "no API key" : "wrong API key")
                    + "; send the key as the header 'Authorization: Bearer KEY' or 'X-API-Key: KEY'");
        }
    }
}
