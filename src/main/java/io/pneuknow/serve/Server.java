package io.pneuknow.serve;

import io.javalin.Javalin;
import io.javalin.config.SizeUnit;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.http.UploadedFile;
import io.pneuknow.BadInputException;
import io.pneuknow.Json;
import io.pneuknow.explain.Overlays;
import io.pneuknow.guard.GuardWarning;
import io.pneuknow.guard.InputGuard;
import io.pneuknow.guard.InputImage;
import io.pneuknow.image.GreyImage;
import io.pneuknow.image.ImageFiles;
import io.pneuknow.image.ImageFormats;
import io.pneuknow.model.ModelBundle;
import io.pneuknow.model.ModelCard;
import io.pneuknow.model.Predictor;
import io.pneuknow.transform.Resize;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.imageio.ImageIO;

/**
 * The HTTP service (Javalin): the web page at {@code /}, {@code GET /health}, {@code GET /v1/model},
 * {@code POST /v1/predict} and {@code POST /v1/explain} (multipart field {@code image}: PNG, JPEG or
 * DICOM, recognised by its bytes). Every answer carries a request id (header {@code X-Request-Id}, and
 * in JSON bodies); errors are JSON {@code {status, code, message, requestId}} with a one-line message and
 * never a stack trace. Limits: upload bytes (413), pixels before decoding (413), content that is no
 * supported image (415), requests in flight (503 {@code busy} with Retry-After), time per request (503
 * {@code timeout}). With an API key every {@code /v1} route needs it (401 otherwise); the page and
 * {@code /health} stay open. One access-log line per request: time, client address, method, path,
 * status, milliseconds, request id and, for uploads, the SHA-256 of the bytes; never the upload's file
 * name, pixels or header values. With an audit log, one JSON line per {@code /v1} request as well
 * ({@link AuditLog}).
 */
public final class Server implements AutoCloseable {
    /**
     * @param host address to bind (127.0.0.1 by default: only this machine)
     * @param port TCP port; 0 picks a free one
     * @param maxUploadBytes largest accepted upload
     * @param maxPixels largest accepted width x height, checked from the header before decoding
     * @param maxInFlight image requests handled at once; more get 503
     * @param minConfidence the input guard's threshold on the largest probability
     * @param requestTimeout longest time from a request's arrival to its answer; an image request over it
     *     is answered 503 {@code timeout} (its model work, which cannot be stopped, finishes in the background)
     * @param apiKey the key every {@code /v1} route requires; null for none
     * @param auditLog file the audit log is appended to; null for none
     */
    public record Settings(String host, int port, long maxUploadBytes, long maxPixels, int maxInFlight,
                           double minConfidence, Duration requestTimeout, ApiKey apiKey, Path auditLog) {
        public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

        public static Settings defaults() {
            return new Settings("127.0.0.1", 8080, 32L << 20, 40_000_000L, 16, InputGuard.DEFAULT_MIN_CONFIDENCE,
                    DEFAULT_TIMEOUT, null, null);
        }

        public Settings withPort(int other) {
            return new Settings(host, other, maxUploadBytes, maxPixels, maxInFlight, minConfidence, requestTimeout,
                    apiKey, auditLog);
        }

        public Settings withMaxInFlight(int other) {
            return new Settings(host, port, maxUploadBytes, maxPixels, other, minConfidence, requestTimeout, apiKey,
                    auditLog);
        }

        public Settings withRequestTimeout(Duration other) {
            return new Settings(host, port, maxUploadBytes, maxPixels, maxInFlight, minConfidence, other, apiKey,
                    auditLog);
        }

        public Settings withApiKey(ApiKey other) {
            return new Settings(host, port, maxUploadBytes, maxPixels, maxInFlight, minConfidence, requestTimeout,
                    other, auditLog);
        }

        public Settings withAuditLog(Path other) {
            return new Settings(host, port, maxUploadBytes, maxPixels, maxInFlight, minConfidence, requestTimeout,
                    apiKey, other);
        }
    }

    private static final String REQUEST_ID = "requestId";
    private static final String STARTED = "started";
    private static final String PERMIT = "permit";
    private static final String UPLOAD_SHA = "uploadSha256";
    private static final String RESULT = "result";
    private static final String ERROR_CODE = "errorCode";
    private static final int PREVIEW_SIDE = 512;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final ModelPool pool;
    private final Settings settings;
    private final PrintStream accessLog;
    private final InputGuard guard;
    private final Semaphore inFlight;
    private final AuditLog audit;
    private final Runnable beforeModel;
    private final ExecutorService work = Executors.newCachedThreadPool(runnable -> {
        Thread thread = new Thread(runnable, "pneuknow-request");
        thread.setDaemon(true);
        return thread;
    });
    private final Javalin app;

    private Server(ModelPool pool, Settings settings, PrintStream accessLog, Runnable beforeModel) {
        this.pool = pool;
        this.settings = settings;
        this.accessLog = accessLog;
        this.beforeModel = beforeModel;
        this.guard = new InputGuard(pool.card(), settings.minConfidence());
        this.inFlight = new Semaphore(settings.maxInFlight());
        this.audit = settings.auditLog() == null ? null : AuditLog.open(settings.auditLog());
        this.app = Javalin.create(config -> {
            config.showJavalinBanner = false;
            config.startupWatcherEnabled = false;
            config.http.maxRequestSize = settings.maxUploadBytes() + (1 << 16);
            config.jetty.multipartConfig.maxFileSize(settings.maxUploadBytes(), SizeUnit.BYTES);
            config.jetty.multipartConfig.maxTotalRequestSize(settings.maxUploadBytes() + (1 << 16), SizeUnit.BYTES);
            config.jetty.multipartConfig.maxInMemoryFileSize((int) Math.min(Integer.MAX_VALUE, settings.maxUploadBytes()),
                    SizeUnit.BYTES);
        });
        routes();
    }

    /** Starts the service on the settings' host and port; {@link #port()} tells the port bound. */
    public static Server start(ModelPool pool, Settings settings, PrintStream accessLog) {
        return start(pool, settings, accessLog, () -> { });
    }

    /** As {@link #start(ModelPool, Settings, PrintStream)}, running {@code beforeModel} before each image request's model work (tests: a slow or blocked step). */
    static Server start(ModelPool pool, Settings settings, PrintStream accessLog, Runnable beforeModel) {
        Server server = new Server(pool, settings, accessLog, beforeModel);
        try {
            server.app.start(settings.host(), settings.port());
        } catch (RuntimeException e) {
            server.close();
            throw e;
        }
        return server;
    }

    public int port() {
        return app.port();
    }

    /** Stops accepting requests and stops the server (requests in progress are given Jetty's grace period). */
    @Override
    public void close() {
        app.stop();
        work.shutdownNow();
        if (audit != null) {
            audit.close();
        }
    }

    private void routes() {
        app.before(ctx -> {
            ctx.attribute(STARTED, System.nanoTime());
            String id = HexFormat.of().toHexDigits(RANDOM.nextLong());
            ctx.attribute(REQUEST_ID, id);
            ctx.header("X-Request-Id", id);
            if (settings.apiKey() != null && isApi(ctx)) {
                authorize(ctx);
            }
            if (ctx.path().startsWith("/v1/predict") || ctx.path().startsWith("/v1/explain")) {
                if (ctx.contentLength() > settings.maxUploadBytes() + (1 << 16)) {
                    throw new ApiException(413, "too_large", "upload of " + ctx.contentLength()
                            + " bytes exceeds the limit of " + settings.maxUploadBytes() + " bytes; send a smaller image");
                }
                if (!inFlight.tryAcquire()) {
                    ctx.header("Retry-After", "1");
                    throw new ApiException(503, "busy", "the service is busy (" + settings.maxInFlight()
                            + " image requests in flight); retry in a second");
                }
                ctx.attribute(PERMIT, Boolean.TRUE);
            }
        });
        app.after(ctx -> {
            if (Boolean.TRUE.equals(ctx.attribute(PERMIT))) {
                ctx.attribute(PERMIT, Boolean.FALSE);
                inFlight.release();
            }
            log(ctx);
            if (audit != null && isApi(ctx)) {
                audit(ctx);
            }
        });
        app.get("/", ctx -> resource(ctx, "index.html", "text/html; charset=utf-8"));
        app.get("/app.js", ctx -> resource(ctx, "app.js", "text/javascript; charset=utf-8"));
        app.get("/app.css", ctx -> resource(ctx, "app.css", "text/css; charset=utf-8"));
        app.get("/health", ctx -> json(ctx, 200, Map.of("status", "ok", "model", pool.card().id(),
                "requestId", requestId(ctx))));
        app.get("/v1/model", ctx -> json(ctx, 200, withRequestId(ctx, ModelView.of(pool.card()))));
        app.post("/v1/predict", this::predict);
        app.post("/v1/explain", this::explain);
        app.exception(Exception.class, (e, ctx) -> error(ctx, e));
        app.error(404, ctx -> {
            if (ctx.attribute("errorWritten") == null) {
                writeError(ctx, 404, "not_found", "no route " + ctx.method() + " " + ctx.path()
                        + "; see GET /v1/model, POST /v1/predict, POST /v1/explain");
            }
        });
        app.error(405, ctx -> {
            if (ctx.attribute("errorWritten") == null) {
                writeError(ctx, 405, "method_not_allowed", ctx.method() + " is not allowed on " + ctx.path());
            }
        });
    }

    private void predict(Context ctx) {
        byte[] bytes = upload(ctx);
        Predicted result = withinLimit(ctx, () -> {
            InputImage input = decode(bytes);
            return new Predicted(input, pool.probabilities(input.image()));
        });
        Map<String, Object> body = answer(ctx, result.input(), result.probabilities());
        ctx.attribute(RESULT, body.get("label"));
        json(ctx, 200, body);
    }

    private void explain(Context ctx) {
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
        byte[] bytes = upload(ctx);
        Explained result = withinLimit(ctx, () -> {
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
            GreyImage preview = previewOf(input.image());
            double[][] centres = pool.heatCentres(map.length, map[0].length, width, height);
            JsonPreview json = new JsonPreview(dataUrl(preview),
                    dataUrl(pool.heatImage(map, preview.width(), preview.height())), centres[0], centres[1]);
            return new Explained(input, p, classIndex, map, null, json);
        });
        ctx.attribute(RESULT, labels.get(Predictor.argmax(result.probabilities())));
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
        json(ctx, 200, body);
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
     * Runs an image request's decoding and model work off the request thread and waits for it until the
     * request's time is up, then answers 503 {@code timeout}; the work is interrupted, but a forward pass
     * already running finishes (the engine cannot stop it) and only then returns its model copy.
     */
    private <T> T withinLimit(Context ctx, Callable<T> task) {
        Long started = ctx.attribute(STARTED);
        long left = settings.requestTimeout().toNanos() - (System.nanoTime() - (started == null ? System.nanoTime() : started));
        Future<T> future = work.submit(() -> {
            beforeModel.run();
            return task.call();
        });
        try {
            return future.get(Math.max(0, left), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            future.cancel(true);
            throw new ApiException(503, "timeout", "the request took longer than the limit of "
                    + seconds(settings.requestTimeout()) + "; retry later, or with a smaller image");
        } catch (InterruptedException e) {
            future.cancel(true);
            Thread.currentThread().interrupt();
            throw new ApiException(503, "interrupted", "the server is stopping; retry later");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    private static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }

    private static boolean isApi(Context ctx) {
        return ctx.path().equals("/v1") || ctx.path().startsWith("/v1/");
    }

    /** Refuses the request (401) unless it carries the API key as {@code Authorization: Bearer KEY} or {@code X-API-Key: KEY}. */
    private void authorize(Context ctx) {
        String given = ctx.header("X-API-Key");
        String authorization = ctx.header("Authorization");
        if (given == null && authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            given = authorization.substring(7);
        }
        if (!settings.apiKey().matches(given)) {
            ctx.header("WWW-Authenticate", "Bearer realm=\"pneuknow\"");
            throw new ApiException(401, "unauthorized", (given == null ? "no API key" : "wrong API key")
                    + "; send the key as the header 'Authorization: Bearer KEY' or 'X-API-Key: KEY'");
        }
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
        body.put("requestId", requestId(ctx));
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

    /** The upload's bytes, checked by content, size and declared pixels; throws {@link ApiException} with the right status otherwise. */
    private byte[] upload(Context ctx) {
        if (!ctx.isMultipartFormData()) {
            throw new ApiException(415, "not_multipart", "send the image as multipart/form-data in the field 'image'");
        }
        UploadedFile file = ctx.uploadedFile("image");
        if (file == null) {
            throw new ApiException(400, "missing_image", "no field 'image' in the form; send the image as field 'image'");
        }
        if (file.size() > settings.maxUploadBytes()) {
            throw new ApiException(413, "too_large", "upload of " + file.size() + " bytes exceeds the limit of "
                    + settings.maxUploadBytes() + " bytes; send a smaller image");
        }
        byte[] bytes;
        try (InputStream in = file.content()) {
            bytes = in.readAllBytes();
        } catch (IOException e) {
            throw new ApiException(400, "unreadable_upload", "the upload could not be read; send it again");
        }
        ctx.attribute(UPLOAD_SHA, ModelBundle.sha256(bytes));
        if (bytes.length == 0) {
            throw new ApiException(400, "empty_image", "the upload is empty; send a PNG, JPEG or DICOM image");
        }
        if (ImageFormats.sniff(bytes).isEmpty()) {
            throw new ApiException(415, "unsupported_media_type", "the upload is not a PNG, JPEG or DICOM image by its "
                    + "content (its first bytes); send one of those");
        }
        ImageFiles.Dimensions size = ImageFiles.dimensions(bytes, "upload");
        if ((long) size.width() * size.height() > settings.maxPixels() || size.width() <= 0 || size.height() <= 0) {
            throw new ApiException(413, "too_many_pixels", "upload: " + size.width() + "x" + size.height()
                    + " pixels exceeds the limit of " + settings.maxPixels() + " pixels; downscale the image");
        }
        return bytes;
    }

    private static InputImage decode(byte[] bytes) {
        return InputImage.decode(bytes, "upload");
    }

    private void error(Context ctx, Exception e) {
        if (e instanceof ApiException api) {
            writeError(ctx, api.status, api.code, api.getMessage());
        } else if (e instanceof BadInputException bad) {
            writeError(ctx, 400, "bad_image", firstLine(bad.getMessage()));
        } else if (e instanceof ModelPool.BusyException) {
            ctx.header("Retry-After", "1");
            writeError(ctx, 503, "busy", "the model is busy; retry in a second");
        } else if (e instanceof HttpResponseException http) {
            writeError(ctx, http.getStatus(), "http_" + http.getStatus(), firstLine(http.getMessage()));
        } else if (isSizeLimit(e)) {
            writeError(ctx, 413, "too_large", "the upload exceeds the limit of " + settings.maxUploadBytes()
                    + " bytes; send a smaller image");
        } else {
            accessLog.println(Instant.now() + " internal error in request " + requestId(ctx) + ": " + e.getClass().getName());
            writeError(ctx, 500, "internal", "internal error; the request id identifies it in the server's log");
        }
    }

    private static boolean isSizeLimit(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = t.getMessage();
            if (m != null && (m.contains("exceeds max") || m.contains("maxRequestSize") || m.contains("too large"))) {
                return true;
            }
        }
        return false;
    }

    private void writeError(Context ctx, int status, String code, String message) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", status);
        body.put("code", code);
        body.put("message", message);
        body.put("requestId", requestId(ctx));
        ctx.attribute("errorWritten", Boolean.TRUE);
        ctx.attribute(ERROR_CODE, code);
        json(ctx, status, body);
    }

    private static String firstLine(String message) {
        return message == null ? "" : message.lines().findFirst().orElse("");
    }

    private static void json(Context ctx, int status, Object body) {
        try {
            ctx.status(status).contentType("application/json").result(Json.MAPPER.writeValueAsBytes(body));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Map<String, Object> withRequestId(Context ctx, Object view) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("requestId", requestId(ctx));
        body.putAll(Json.MAPPER.convertValue(view, Map.class));
        return body;
    }

    private static String requestId(Context ctx) {
        String id = ctx.attribute(REQUEST_ID);
        return id == null ? "" : id;
    }

    private static void resource(Context ctx, String name, String type) throws IOException {
        try (InputStream in = Server.class.getResourceAsStream("web/" + name)) {
            if (in == null) {
                throw new IllegalStateException("missing resource web/" + name);
            }
            ctx.contentType(type).header("Cache-Control", "no-cache").result(in.readAllBytes());
        }
    }

    /** The decoded image at most PREVIEW_SIDE px on its longer side, for the JSON answer (browsers cannot show DICOM). */
    private static GreyImage previewOf(GreyImage image) {
        double scale = Math.min(1.0, (double) PREVIEW_SIDE / Math.max(image.width(), image.height()));
        int w = Math.max(1, (int) Math.round(image.width() * scale));
        int h = Math.max(1, (int) Math.round(image.height() * scale));
        return scale < 1 ? Resize.to(image, w, h) : image;
    }

    /** An image with values in [0, 1] as a grey PNG data URL. */
    private static String dataUrl(GreyImage small) {
        BufferedImage grey = new BufferedImage(small.width(), small.height(), BufferedImage.TYPE_BYTE_GRAY);
        byte[] px = ((DataBufferByte) grey.getRaster().getDataBuffer()).getData();
        float[] v = small.pixels();
        for (int i = 0; i < px.length; i++) {
            px[i] = (byte) Math.round(Math.min(1f, Math.max(0f, v[i])) * 255);
        }
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        try {
            ImageIO.write(grey, "png", png);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return "data:image/png;base64," + Base64.getEncoder().encodeToString(png.toByteArray());
    }

    private void log(Context ctx) {
        Long started = ctx.attribute(STARTED);
        long millis = started == null ? 0 : (System.nanoTime() - started) / 1_000_000;
        String sha = ctx.attribute(UPLOAD_SHA);
        accessLog.println(String.format(Locale.ROOT, "%s %s %s %s %d %dms id=%s%s", Instant.now(), ctx.ip(),
                ctx.method(), ctx.path(), ctx.statusCode(), millis, requestId(ctx), sha == null ? "" : " sha256=" + sha));
    }

    private void audit(Context ctx) {
        Long started = ctx.attribute(STARTED);
        long millis = started == null ? 0 : (System.nanoTime() - started) / 1_000_000;
        String code = ctx.attribute(ERROR_CODE);
        String label = ctx.attribute(RESULT);
        int status = ctx.statusCode();
        String result = code != null ? code : status >= 400 ? "http_" + status : label != null ? label : "ok";
        try {
            audit.write(new AuditLog.Entry(Instant.now().toString(), requestId(ctx), ctx.ip(), ctx.method().name(),
                    ctx.path(), status, ctx.attribute(UPLOAD_SHA), pool.card().weightsSha256(), result, millis));
        } catch (RuntimeException e) {
            accessLog.println(Instant.now() + " cannot write the audit log for request " + requestId(ctx) + ": "
                    + e.getClass().getName());
        }
    }
}
