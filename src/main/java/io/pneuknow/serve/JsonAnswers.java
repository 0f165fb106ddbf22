package io.pneuknow.serve;

import io.javalin.http.Context;
import io.pneuknow.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

/** Writes the service's JSON answers. */
public final class JsonAnswers {
    private JsonAnswers() {
    }

    /** Answers {@code status} with {@code body} as JSON. */
    public static void json(Context ctx, int status, Object body) {
        try {
            ctx.status(status).contentType("application/json").result(Json.MAPPER.writeValueAsBytes(body));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The request id first, then the fields of {@code view}. */
    static Map<String, Object> withRequestId(Context ctx, Object view) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("requestId", RequestAttributes.requestId(ctx));
        body.putAll(Json.MAPPER.convertValue(view, Map.class));
        return body;
    }
}
