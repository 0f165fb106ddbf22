package io.pneuknow.serve;

import io.javalin.http.Context;
import io.javalin.http.Handler;
import java.io.InputStream;
import java.util.Map;

/** The routes without an upload: the web page's files (from the resources' {@code web/}), {@code /health} and {@code /v1/model}. */
final class PageEndpoints {
    private final ModelPool pool;
    private final boolean modelDetails;

    /** @param modelDetails whether {@code /v1/model} tells file paths and platform versions ({@link ModelView#of}) */
    PageEndpoints(ModelPool pool, boolean modelDetails) {
        this.pool = pool;
        this.modelDetails = modelDetails;
    }

    /** Serves the resource {@code web/NAME} with this content type, never cached. */
    static Handler resource(String name, String type) {
        return ctx -> {
            try (InputStream in = PageEndpoints.class.getResourceAsStream("web/" + name)) {
                if (in == null) {
                    throw new IllegalStateException("missing resource web/" + name);
                }
                ctx.contentType(type).header("Cache-Control", "no-cache").result(in.readAllBytes());
            }
        };
    }

    /** {@code GET /health}: status ok, the model's id and the request id. */
    void health(Context ctx) {
        JsonAnswers.json(ctx, 200, Map.of("status", "ok", "model", pool.card().id(),
                "requestId", RequestAttributes.requestId(ctx)));
    }

    /** {@code GET /v1/model}: the request id and the model card's view ({@link ModelView}), details only when allowed. */
    void model(Context ctx) {
        JsonAnswers.json(ctx, 200, JsonAnswers.withRequestId(ctx, ModelView.of(pool.card(), modelDetails)));
    }
}
