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
import java.util.concurrent.CancellationException;

/**
 * The image routes: {@code POST /v1/predict} and {@code POST /v1/explain} (upload -> image -> model -> input
 * guard -> JSON answer; explain adds a Grad-CAM heat map, as a PNG overlay or in JSON with previews).
 */
final class ImageEndpoints {
    /** How many times the model's input side an upload is read at, at least, when it is read subsampled. */
    static final int READ_MARGIN = 2;
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
        Uploads.Upload upload = uploads.read(ctx);
        limits.admit(ctx);
        Predicted result = limits.withinTime(ctx, cost(upload, false), () -> {
            InputImage input = decode(upload.bytes());
            RequestLimits.checkpoint("forward");
            return new Predicted(input, pool.probabilities(input.image()));
        });
        Map<String, Object> body = answer(ctx, upload, result.input(), result.probabilities());
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
        Uploads.Upload upload = uploads.read(ctx);
        limits.admit(ctx);
        Explained result = limits.withinTime(ctx, cost(upload, true), () -> {
            InputImage input = decode(upload.bytes());
            RequestLimits.checkpoint("forward");
            float[] p = pool.probabilities(input.image());
            int classIndex = asked == null ? Predictor.argmax(p) : labels.indexOf(asked);
            RequestLimits.checkpoint("heat map");
            float[][] map = pool.heatMap(input.image(), classIndex);
            int width = input.image().width();
            int height = input.image().height();
            if (format.equals("png")) {
                return new Explained(input, p, classIndex, map,
                        Overlays.encode(input.image(), pool.heatImage(map, width, height), null), null);
            }
            GreyImage preview = Previews.previewOf(input.image());
            double[][] centres = inUploadPixels(pool.heatCentres(map.length, map[0].length, width, height),
                    upload.size().width(), width);
            JsonPreview json = new JsonPreview(Previews.dataUrl(preview),
                    Previews.dataUrl(pool.heatImage(map, preview.width(), preview.height())), centres[0], centres[1]);
            return new Explained(input, p, classIndex, map, null, json);
        });
        RequestAttributes.result(ctx, labels.get(Predictor.argmax(result.probabilities())));
        if (result.png() != null) {
            ctx.contentType("image/png").result(result.png());
            return;
        }
        Map<String, Object> body = answer(ctx, upload, result.input(), result.probabilities());
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
    private Map<String, Object> answer(Context ctx, Uploads.Upload upload, InputImage input, float[] p) {
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
        Map<String, Object> image = new LinkedHashMap<>();
        image.put("width", upload.size().width());
        image.put("height", upload.size().height());
        image.put("format", input.header() == null ? "image" : "dicom");
        if (input.image().width() != upload.size().width() || input.image().height() != upload.size().height()) {
            image.put("readAt", Map.of("width", input.image().width(), "height", input.image().height()));
        }
        body.put("image", image);
        body.put("intendedUse", card.intendedUse());
        return body;
    }

    /** What a request for {@code upload} holds in memory ({@link MemoryBudget.Cost}), with a heat map when {@code explain}. */
    private MemoryBudget.Cost cost(Uploads.Upload upload, boolean explain) {
        int inputSize = pool.card().preprocessing().inputSize();
        return MemoryBudget.Cost.of(upload.bytes(), upload.size(), READ_MARGIN * inputSize, pool.card().architecture(),
                inputSize, explain);
    }

    /**
     * The upload decoded for the model: a PNG or JPEG whose shorter side is at least 2 x {@value #READ_MARGIN} x
     * the model's input side is read subsampled, to a shorter side of at least {@value #READ_MARGIN} x the input side
     * ({@link InputImage#decode(byte[], String, int)}), so a huge image never occupies its full size in memory;
     * smaller images, and DICOM, are decoded in full.
     */
    private InputImage decode(byte[] bytes) {
        RequestLimits.checkpoint("decode");
        try {
            return InputImage.decode(bytes, "upload", READ_MARGIN * pool.card().preprocessing().inputSize());
        } catch (CancellationException e) {
            throw new RequestLimits.Stopped("forward (decode aborted)");
        }
    }

    /**
     * Cell centres given on the decoded image, in the uploaded image's pixels: a subsampled read keeps pixel
     * {@code step * i + step / 2} as pixel {@code i}, the same step both ways (the decoded width of
     * {@code uploadWidth / step} pixels gives it back).
     */
    private static double[][] inUploadPixels(double[][] centres, int uploadWidth, int decodedWidth) {
        int step = (int) Math.round(uploadWidth / (double) decodedWidth);
        if (step <= 1) {
            return centres;
        }
        double[][] out = {centres[0].clone(), centres[1].clone()};
        for (double[] axis : out) {
            for (int i = 0; i < axis.length; i++) {
                axis[i] = axis[i] * step + step / 2;
            }
        }
        return out;
    }
}
