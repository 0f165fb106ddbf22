package io.pneuknow.serve;

import io.javalin.http.Context;
import io.pneuknow.explain.Overlays;
import io.pneuknow.guard.GuardWarning;
import io.pneuknow.guard.InputGuard;
import io.pneuknow.guard.InputImage;
import io.pneuknow.image.GreyImage;
import io.pneuknow.model.ModelCard;
import io.pneuknow.model.Predictor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The image routes: {@code POST /v1/predict} and {@code POST /v1/explain} (upload -> image -> model -> input
 * guard -> JSON answer; explain adds a Grad-CAM heat map, as a PNG overlay or in JSON with previews).
 */
final class ImageEndpoints {
    private final ModelPool pool;
    private final InputGuard guard;
    private final Uploads uploads;
    private final RequestLimits limits;

    ImageEndpoints(ModelPool pool, InputGuard guard, Uploads uploads, RequestLimits limits) {
        this.pool = pool;
        this.guard = guard;
        this.uploads = uploads;
        this.limits = limits;
    }

    /** {@code POST /v1/predict}: the model's answer for the uploaded image. */
    void predict(Context ctx) {
        byte[] bytes = uploads.read(ctx);
        Predicted result = limits.withinTime(ctx, () -> {
            InputImage input = decode(bytes);
            return new Predicted(input, pool.probabilities(input.image()));
        });
        Map<String, Object> body = answer(ctx, result.input(), result.probabilities());
        RequestAttributes.result(ctx, (String) body.get("label"));
        JsonAnswers.json(ctx, 200, body);
    }

    /**
     * {@code POST /v1/explain}: the heat map of the predicted class, or of {@code ?class=}, as a PNG overlay, or with
     * {@code ?format=json} the predict answer with the map, its cells' centres and previews.
     */
    void explain(Context ctx) {
        List<String> labels = pool.card().labels();
        String format = ctx.queryParam("format") == null ? "png" : ctx.queryParam("format");
        if (!format.equals("png") && !format.equals("json")) {
            throw new ApiException(400, "bad_format", "format '" + format + "' is not png or json");
        }
        String asked = ctx.queryParam("class");
        if (asked != null && !labels.contains(asked)) {
            throw new ApiException(400, "unknown_class", "class '" + asked + "' is not one of the model's labels "
                    + labels + "; leave it out for the predicted class");
        }
        byte[] bytes = uploads.read(ctx);
        Explained result = limits.withinTime(ctx, () -> {
            InputImage input = decode(bytes);
            float[] p = pool.probabilities(input.image());
            int classIndex = asked == null ? Predictor.argmax(p) : labels.indexOf(asked);
            float[][] map = pool.heatMap(input.image(), classIndex);
            int width = input.image().width();
            int height = input.image().height();
            if (format.equals("png")) {
                return new Explained(input, p, classIndex, map,
                        Overlays.encode(input.image(), pool.heatImage(map, width, height), null), null);
            }
            GreyImage preview = Previews.previewOf(input.image());
            double[][] centres = pool.heatCentres(map.length, map[0].length, width, height);
            JsonPreview json = new JsonPreview(Previews.dataUrl(preview),
                    Previews.dataUrl(pool.heatImage(map, preview.width(), preview.height())), centres[0], centres[1]);
            return new Explained(input, p, classIndex, map, null, json);
        });
        RequestAttributes.result(ctx, labels.get(Predictor.argmax(result.probabilities())));
        if (result.png() != null) {
            ctx.contentType("image/png").result(result.png());
            return;
        }
        Map<String, Object> body = answer(ctx, result.input(), result.probabilities());
        body.put("heatClass", labels.get(result.classIndex()));
        body.put("heatMap", result.map());
        body.put("heatMapMethod", "Grad-CAM on the last feature map, ReLU, divided by its maximum; rows top to "
                + "bottom; each cell belongs at its receptive field's centre on the image, given in heatMapCentres "
                + "(x of each column, y of each row, in the uploaded image's pixels), and heatPreview draws the "
                + "map at the preview's size, interpolated between those centres (grey 0-255 for 0-1)");
        body.put("heatMapCentres", Map.of("x", result.json().centresX(), "y", result.json().centresY()));
        body.put("preview", result.json().image());
        body.put("heatPreview", result.json().heat());
        JsonAnswers.json(ctx, 200, body);
    }

    /** What the model said about an image. */
    private record Predicted(InputImage input, float[] probabilities) {
    }

    /** What the model said about an image, with the heat map of one class, as a PNG overlay or with previews for JSON. */
    private record Explained(InputImage input, float[] probabilities, int classIndex, float[][] map, byte[] png,
                             JsonPreview json) {
    }

    /** The JSON answer's pictures (grey PNG data URLs at the same size) and where the map's cell centres lie on the image. */
    private record JsonPreview(String image, String heat, double[] centresX, double[] centresY) {
    }

    /**
     * The JSON answer for an image: model, label, probabilities, guard warnings, whether any of them puts the
     * image out of the model's scope (every warning but low confidence), the intended use.
     */
    private Map<String, Object> answer(Context ctx, InputImage input, float[] p) {
        ModelCard card = pool.card();
        Map<String, Double> probabilities = new LinkedHashMap<>();
        for (int c = 0; c < p.length; c++) {
            probabilities.put(card.labels().get(c), (double) p[c]);
        }
        List<GuardWarning> warnings = guard.check(input, p);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("requestId", RequestAttributes.requestId(ctx));
        body.put("model", Map.of("id", card.id(), "weightsSha256", card.weightsSha256()));
        body.put("label", card.labels().get(Predictor.argmax(p)));
        body.put("probabilities", probabilities);
        body.put("warnings", warnings);
        body.put("outOfScope", warnings.stream().anyMatch(GuardWarning::outOfScope));
        body.put("image", Map.of("width", input.image().width(), "height", input.image().height(),
                "format", input.header() == null ? "image" : "dicom"));
        body.put("intendedUse", card.intendedUse());
        return body;
    }

    private static InputImage decode(byte[] bytes) {
        return InputImage.decode(bytes, "upload");
    }
}
