package io.pneuknow.studio;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.pneuknow.BadInputException;
import io.pneuknow.Json;
import io.pneuknow.annotate.AnnotationStore;
import io.pneuknow.annotate.Change;
import io.pneuknow.annotate.Geometry;
import io.pneuknow.annotate.ImageEntry;
import io.pneuknow.annotate.Job;
import io.pneuknow.annotate.NoFindingMark;
import io.pneuknow.annotate.Person;
import io.pneuknow.annotate.RegionDraft;
import io.pneuknow.annotate.RegisteredModel;
import io.pneuknow.annotate.ReviewState;
import io.pneuknow.annotate.Role;
import io.pneuknow.annotate.StoredPrediction;
import io.pneuknow.annotate.StoredRegion;
import io.pneuknow.annotate.exchange.AnnotationExport;
import io.pneuknow.image.GreyImage;
import io.pneuknow.jobs.JobRunner;
import io.pneuknow.jobs.JobSettings;
import io.pneuknow.queue.Strategy;
import io.pneuknow.image.ImageFiles;
import io.pneuknow.serve.ApiException;
import io.pneuknow.serve.AuditLog;
import io.pneuknow.serve.ClientAddress;
import io.pneuknow.serve.ErrorAnswers;
import io.pneuknow.serve.FailedAuthLimiter;
import io.pneuknow.serve.HostAllowList;
import io.pneuknow.serve.JsonAnswers;
import io.pneuknow.serve.RequestAttributes;
import io.pneuknow.serve.RequestLog;
import io.pneuknow.serve.SecurityHeaders;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The workspace's HTTP server (Javalin), the JSON API a browser front-end draws with. Everything under {@code /api}
 * except {@code POST /api/login} needs a session (401 otherwise); every state-changing request needs the session's
 * CSRF token in {@value Sessions#CSRF_HEADER} (403 {@code csrf} otherwise; sign-in needs a JSON body, which a
 * cross-site form cannot send and no cross-origin access is granted). Annotators and admins draw, reviewers and
 * admins review (403 {@code forbidden_role} otherwise). Wrong keys are counted per address ({@link FailedAuthLimiter}: 429 after
 * ten within a minute). A change is answered only after its transaction committed
 * ({@link AnnotationStore}); an edit names its base version and a stale one is answered 409 {@code conflict} with
 * {@code theirs} and {@code yours}. Pixels are rendered here ({@link PixelRendering}): the browser never gets an
 * image file, so never a DICOM header. Reused from {@code serve}: {@link SecurityHeaders}, {@link HostAllowList},
 * {@link ErrorAnswers} (JSON errors with a request id), {@link RequestLog} (access log) and {@link AuditLog} (one
 * line per API request naming the person and what was viewed or changed).
 *
 * <p>Routes: {@code POST /api/login {name, key}}, {@code POST /api/logout}, {@code GET /api/me},
 * {@code GET /api/images?offset&limit&class&part&annotated&noFinding&predicted&correct&disagree} (the last three only with a
 * served model: {@link ModelPredictions}), {@code GET /api/facets} (classes, parts, the served model and its
 * progress), {@code GET /api/images/{id}} (regions, "no finding" mark and the served model's prediction),
 * {@code GET /api/images/{id}/pixels.png?size&centre&width}, {@code GET /api/images/{id}/thumbnail.png},
 * {@code GET /api/images/{id}/heatmap.png?size} (the served model's Grad-CAM as an overlay; 404 {@code no_model}
 * without one),
 * {@code POST /api/images/{id}/regions}, {@code PUT /api/images/{id}/no-finding {baseVersion, marked}},
 * {@code GET /api/regions/{rid}/history}, {@code PUT /api/regions/{rid} {baseVersion, type, label, box|polygon}},
 * {@code DELETE /api/regions/{rid}?baseVersion=N}, {@code POST /api/regions/{rid}/review {baseVersion, verdict}},
 * {@code GET /api/queue} (below).
 *
 * <p>Training jobs and the model registry (when started with a {@link JobRunner}; 503 {@code no_jobs} otherwise):
 * admins start and cancel jobs and promote models, everyone signed in lists and compares them:
 * {@code POST /api/jobs {method, architecture, inputSize, epochs}} (or {@code {kind: "study", architecture, inputSize,
 * epochs, seeds}}: baseline against HKD over seeds, {@link JobSettings}), {@code GET /api/jobs},
 * {@code POST /api/jobs/{id}/cancel}, {@code GET /api/jobs/{id}/report} (a study job's report.html), {@code GET
 * /api/models}, {@code GET /api/models/compare?a=ID&b=ID}, {@code POST /api/models/{id}/promote}.
 *
 * <p>What to annotate next: {@code GET /api/queue?strategy&offset&limit&seed} ({@link AnnotationQueue}; the
 * model-based orders read the served model, else the promoted one, scored by {@link QueueScores}).
 */
public final class StudioServer implements AutoCloseable {
    /** The longest side a rendered image may be asked for. */
    public static final int MAX_SIDE = 4096;
    /** The longer side of a thumbnail. */
    public static final int THUMBNAIL_SIDE = 160;
    /** The most images one page of the list holds. */
    public static final int MAX_PAGE = 500;
    /** How long a heat map request waits for its Grad-CAM before it is told to come back. */
    public static final long HEAT_WAIT_MILLIS = 20_000;
    /** How long a queue request waits for its model's scores before it is told to come back. */
    public static final long QUEUE_WAIT_MILLIS = 10_000;
    /** Images on one page of the queue unless a request says otherwise. */
    public static final int QUEUE_PAGE = 20;
    /**
     * The policy of a study's report.html: the report is one self-contained page of ours with its styles inline and
     * its pictures as {@code data:} URLs; its small render-check script is not allowed to run, nothing is fetched.
     */
    static final String REPORT_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
            + "form-action 'none'; frame-ancestors 'none'";

    /**
     * How the workspace is served.
     *
     * @param host address to bind (127.0.0.1: only this machine)
     * @param port TCP port; 0 picks a free one
     * @param dataDir the data folder the database's image files are relative to
     * @param secureCookie whether the session cookie is marked {@code Secure} (behind HTTPS)
     * @param auditLog the audit log's file and rotation; null for none
     * @param allowedHosts the names a request's {@code Host} may carry ({@link HostAllowList}); empty: the default
     */
    public record Settings(String host, int port, Path dataDir, boolean secureCookie, AuditLog.Options auditLog,
                           List<String> allowedHosts) {
        public Settings {
            allowedHosts = allowedHosts == null ? List.of() : List.copyOf(allowedHosts);
        }
    }

    private static final String AUDIT_RESULT = "studioAudit";
    private static final String PERSON = "studioPerson";

    private final AnnotationStore store;
    private final ModelPredictions predictions;
    private final Settings settings;
    private final Path dataDir;
    private final Sessions sessions;
    private final FailedAuthLimiter failedSignIns = FailedAuthLimiter.defaults();
    private final HostAllowList hosts;
    private final ErrorAnswers errors;
    private final RequestLog log;
    private final AuditLog audit;
    private final Javalin app;
    /** The training jobs and the registry; null when this studio runs no jobs. */
    private final JobRunner jobs;
    /** The model-based queue orders' probabilities, per model, computed on their own thread. */
    private final QueueScores queueScores;
    /** How long a heat map request waits ({@link #HEAT_WAIT_MILLIS}; shorter in tests of the wait's end). */
    private final long heatWaitMillis;

    private StudioServer(AnnotationStore store, Settings settings, PrintStream accessLog, Clock clock,
                         ModelPredictions predictions, JobRunner jobs, long heatWaitMillis) {
        this.store = store;
        this.heatWaitMillis = heatWaitMillis;
        this.predictions = predictions;
        this.jobs = jobs;
        this.settings = settings;
        this.dataDir = settings.dataDir().toAbsolutePath().normalize();
        this.sessions = new Sessions(clock);
        this.hosts = HostAllowList.of(settings.host(), settings.allowedHosts());
        this.errors = new ErrorAnswers(1 << 20, accessLog);
        this.log = new RequestLog(accessLog, null, null, ClientAddress.trusting(List.of()));
        this.audit = settings.auditLog() == null ? null : AuditLog.open(settings.auditLog());
        this.queueScores = new QueueScores(dataDir, accessLog);
        this.app = Javalin.create(config -> {
            config.showJavalinBanner = false;
            config.startupWatcherEnabled = false;
            config.http.maxRequestSize = 1 << 20;
        });
        routes();
    }

    /** Starts the workspace on the settings' host and port without a model; {@link #port()} tells the port bound. */
    public static StudioServer start(AnnotationStore store, Settings settings, PrintStream accessLog) {
        return start(store, settings, accessLog, null, null);
    }

    /**
     * Starts the workspace serving {@code predictions}' model (null: none) and running training jobs and the model
     * registry with {@code jobs} (null: none; 503 {@code no_jobs} on those routes). With a model the list's rows carry
     * its stored predictions and can be filtered by them, and the facets tell how far its predictions have come. The
     * caller starts and closes the predictions and the runner; this server only reads what they store.
     */
    public static StudioServer start(AnnotationStore store, Settings settings, PrintStream accessLog,
                                     ModelPredictions predictions, JobRunner jobs) {
        return start(store, settings, accessLog, predictions, jobs, HEAT_WAIT_MILLIS);
    }

    /** As {@link #start(AnnotationStore, Settings, PrintStream, ModelPredictions, JobRunner)}, heat maps waited for this long. */
    static StudioServer start(AnnotationStore store, Settings settings, PrintStream accessLog, ModelPredictions predictions,
                              JobRunner jobs, long heatWaitMillis) {
        StudioServer server = new StudioServer(store, settings, accessLog, Clock.systemUTC(), predictions, jobs, heatWaitMillis);
        try {
            server.app.start(settings.host(), settings.port());
        } catch (RuntimeException e) {
            server.close();
            throw e;
        }
        return server;
    }

    /** The TCP port the workspace is bound to. */
    public int port() {
        return app.port();
    }

    /** Stops the server and closes the logs (the database stays open: its owner closes it). */
    @Override
    public void close() {
        app.stop();
        queueScores.close();
        log.close();
        if (audit != null) {
            audit.close();
        }
    }

    private void routes() {
        app.before(ctx -> {
            RequestAttributes.begin(ctx);
            SecurityHeaders.apply(ctx);
            if (isApi(ctx)) {
                ctx.header("Cache-Control", "no-store");
            }
            if (!hosts.allows(ctx.header("Host"))) {
                throw new ApiException(421, "misdirected_host", "this server answers only the hosts " + hosts.describe()
                        + "; set --allowed-hosts to serve another name");
            }
            if (isApi(ctx) && !ctx.path().equals("/api/login")) {
                Sessions.Session session = sessions.find(ctx.cookie(Sessions.COOKIE)).orElseThrow(() -> new ApiException(401,
                        "unauthorized", "not signed in; POST /api/login with your name and key"));
                ctx.attribute(PERSON, session.person());
                if (changes(ctx) && !Sessions.csrfMatches(session, ctx.header(Sessions.CSRF_HEADER))) {
                    throw new ApiException(403, "csrf", "missing or wrong " + Sessions.CSRF_HEADER
                            + " header; send the csrfToken that sign-in answered");
                }
            }
        });
        app.after(ctx -> {
            log.access(ctx);
            if (audit != null && isApi(ctx)) {
                Person person = ctx.attribute(PERSON);
                String result = ctx.attribute(AUDIT_RESULT);
                try {
                    audit.write(new AuditLog.End(Instant.now().toString(), RequestAttributes.requestId(ctx),
                            person == null ? null : person.name(), ctx.ip(), ctx.method().name(), ctx.path(), ctx.statusCode(),
                            null, null, result == null ? (ctx.statusCode() < 400 ? "ok" : "refused") : result,
                            RequestAttributes.millis(ctx)));
                } catch (RuntimeException e) {
                    log.access(ctx); // the access line stands; an audit failure must not end the server
                }
            }
        });
        app.get("/", ctx -> ctx.contentType("text/html; charset=utf-8").header("Cache-Control", "no-cache")
                .result(resource(WebPage.bundled() ? "index.html" : "unbundled.html")));
        app.get("/studio.js", ctx -> webFile(ctx, "studio.js"));
        app.get("/studio.css", ctx -> webFile(ctx, "studio.css"));
        app.get("/vendor/{file}", ctx -> webFile(ctx, "vendor/" + ctx.pathParam("file")));
        app.get("/api/facets", ctx -> {
            AnnotationStore.Facets facets = store.facets();
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("classes", facets.classes());
            body.put("parts", facets.parts());
            body.put("model", modelView());
            answer(ctx, 200, body);
        });
        app.get("/api/export/regions.csv", this::exportCsv);
        app.post("/api/login", this::login);
        app.post("/api/logout", ctx -> {
            sessions.close(ctx.cookie(Sessions.COOKIE));
            ctx.header("Set-Cookie", cookie("", 0));
            answer(ctx, 200, Map.of("signedOut", true));
        });
        app.get("/api/me", ctx -> {
            // the page asks after a reload for its CSRF token: a same-origin read (no cross-origin access is granted)
            Map<String, Object> view = personView(person(ctx));
            view.put("csrfToken", sessions.find(ctx.cookie(Sessions.COOKIE)).orElseThrow().csrfToken());
            answer(ctx, 200, view);
        });
        app.get("/api/images", this::images);
        app.get("/api/images/{id}", this::image);
        app.get("/api/images/{id}/pixels.png", ctx -> pixels(ctx, intParam(ctx, "size", 1024, 1, MAX_SIDE)));
        app.get("/api/images/{id}/thumbnail.png", ctx -> pixels(ctx, THUMBNAIL_SIDE));
        app.get("/api/images/{id}/heatmap.png", this::heatMap);
        app.post("/api/images/{id}/regions", this::createRegion);
        app.put("/api/images/{id}/no-finding", this::noFinding);
        app.get("/api/regions/{rid}/history", ctx -> {
            long id = regionId(ctx);
            answer(ctx, 200, Map.of("regionId", id, "versions", store.history(id).stream().map(StudioViews::version).toList()));
        });
        app.put("/api/regions/{rid}", this::editRegion);
        app.delete("/api/regions/{rid}", this::deleteRegion);
        app.post("/api/regions/{rid}/review", this::review);
        app.get("/api/queue", this::queue);
        jobRoutes();
        app.exception(Exception.class, (e, ctx) -> {
            if (e instanceof BadInputException || e instanceof IllegalArgumentException || e instanceof JsonProcessingException) {
                errors.exception(new ApiException(400, "bad_request", firstLine(e.getMessage())), ctx);
            } else {
                errors.exception(e, ctx);
            }
        });
        app.error(404, ctx -> {
            if (!RequestAttributes.hasError(ctx)) {
                errors.exception(new ApiException(404, "not_found", "no route " + ctx.method() + " " + ctx.path()
                        + "; the API is under /api"), ctx);
            }
        });
    }

    private void login(Context ctx) throws IOException {
        String type = ctx.contentType();
        if (type == null || !type.toLowerCase(java.util.Locale.ROOT).startsWith("application/json")) {
            throw new ApiException(415, "json_required", "sign in with a JSON body {\"name\": ..., \"key\": ...}");
        }
        long wait = failedSignIns.retryAfterSeconds(ctx.ip());
        if (wait > 0) {
            ctx.header("Retry-After", Long.toString(wait));
            throw new ApiException(429, "too_many_failures", "too many wrong keys from this address; retry in " + wait + " s");
        }
        JsonNode body = body(ctx);
        String name = text(body, "name");
        Person person = store.authenticate(name, text(body, "key")).orElseThrow(() -> {
            failedSignIns.fail(ctx.ip());
            return new ApiException(401, "unauthorized", "wrong name or key; an admin gives keys with pneuknow annotations add-person");
        });
        String token = sessions.open(person);
        ctx.attribute(PERSON, person);
        ctx.attribute(AUDIT_RESULT, "login");
        ctx.header("Set-Cookie", cookie(token, Sessions.LIFETIME.toSeconds()));
        Map<String, Object> view = personView(person);
        view.put("csrfToken", sessions.find(token).orElseThrow().csrfToken());
        answer(ctx, 200, view);
    }

    private String cookie(String value, long maxAgeSeconds) {
        return Sessions.COOKIE + "=" + value + "; Path=/; Max-Age=" + maxAgeSeconds + "; HttpOnly; SameSite=Strict"
                + (settings.secureCookie() ? "; Secure" : "");
    }

    private void images(Context ctx) {
        String predicted = ctx.queryParam("predicted");
        Boolean correct = booleanParam(ctx, "correct");
        Boolean disagree = booleanParam(ctx, "disagree");
        if (predictions == null && (predicted != null || correct != null || disagree != null)) {
            throw new ApiException(400, "bad_request", "predicted, correct and disagree filter by the served model's "
                    + "predictions, and no model is served; start the studio with --model DIR");
        }
        if (predicted != null && !predictions.classes().contains(predicted)) {
            throw new ApiException(400, "bad_request", "predicted '" + shortened(predicted) + "' is not a class of model "
                    + predictions.modelId() + "; give one of " + String.join(", ", predictions.classes()));
        }
        AnnotationStore.ImageQuery query = new AnnotationStore.ImageQuery(ctx.queryParam("class"), ctx.queryParam("part"),
                booleanParam(ctx, "annotated"), booleanParam(ctx, "noFinding"),
                predictions == null ? null : predictions.modelId(), predicted, correct, disagree,
                intParam(ctx, "offset", 0, 0, Integer.MAX_VALUE), intParam(ctx, "limit", 50, 1, MAX_PAGE));
        AnnotationStore.ImagePage page = store.images(query);
        List<Map<String, Object>> rows = new ArrayList<>();
        for (AnnotationStore.ImageRow row : page.rows()) {
            Map<String, Object> item = imageView(row.image());
            item.put("regions", row.regions());
            item.put("noFinding", row.noFinding());
            item.put("prediction", predictionView(row.prediction(), row.image().className()));
            rows.add(item);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("total", page.total());
        body.put("offset", query.offset());
        body.put("limit", query.limit());
        body.put("images", rows);
        answer(ctx, 200, body);
    }

    private void image(Context ctx) {
        ImageEntry image = requireImage(ctx);
        Map<String, Object> body = imageView(image);
        Path file = dataDir.resolve(image.file()).normalize();
        boolean present = file.startsWith(dataDir) && Files.isRegularFile(file);
        ImageFiles.Dimensions size = present ? ImageFiles.dimensions(file) : null;
        body.put("width", size == null ? null : size.width()); // null: the file is not in the data folder
        body.put("height", size == null ? null : size.height());
        body.put("regions", StudioViews.regions(store.regions(image.id())));
        body.put("noFindingMark", StudioViews.mark(store.noFinding(image.id())));
        body.put("prediction", predictions == null ? null
                : predictionView(store.prediction(image.id(), predictions.modelId()).orElse(null), image.className()));
        ctx.attribute(AUDIT_RESULT, "view regions of image " + image.id());
        answer(ctx, 200, body);
    }

    private void pixels(Context ctx, int side) {
        ImageEntry image = requireImage(ctx);
        PixelRendering.Window window = new PixelRendering.Window(doubleParam(ctx, "centre", 0.5), doubleParam(ctx, "width", 1.0));
        GreyImage grey = ImageFiles.read(imageFile(image));
        byte[] png = PixelRendering.png(grey, Math.min(side, MAX_SIDE), window);
        ctx.attribute(AUDIT_RESULT, "view image " + image.id());
        ctx.status(200).contentType("image/png").result(png);
    }

    /**
     * The served model's heat map of the image as a PNG overlay of the same geometry as {@code pixels.png} at the same
     * size ({@link PixelRendering#heatPng}), computed on the heat thread ({@link ModelHeat}); 503 with Retry-After when
     * it is not ready within {@value #HEAT_WAIT_MILLIS} ms (it goes on, and the next request finds it) or too many wait.
     */
    private void heatMap(Context ctx) throws InterruptedException {
        if (predictions == null) {
            throw new ApiException(404, "no_model", "this studio serves no model, so there are no heat maps; start it "
                    + "with --model DIR");
        }
        int side = intParam(ctx, "size", 1024, 1, MAX_SIDE);
        ImageEntry image = requireImage(ctx);
        Path file = imageFile(image);
        byte[] png;
        try {
            png = predictions.heat().png(image, file, side, heatWaitMillis);
        } catch (ModelHeat.Pending e) {
            ctx.header("Retry-After", "2");
            throw new ApiException(503, "heat_map_pending", "the heat map of image " + image.id()
                    + " is still being computed; ask again in a few seconds");
        } catch (ModelHeat.Busy e) {
            ctx.header("Retry-After", "5");
            throw new ApiException(503, "heat_maps_busy", "more than " + ModelHeat.MAX_WAITING
                    + " heat maps are being waited for; ask again in a few seconds");
        } catch (BadInputException e) {
            throw new ApiException(422, "unreadable_image", "image " + image.id() + " cannot be read: "
                    + firstLine(e.getMessage()));
        }
        ctx.attribute(AUDIT_RESULT, "view heat map of image " + image.id());
        ctx.status(200).contentType("image/png").result(png);
    }

    // ---------------------------------------------------------------- what to annotate next

    /**
     * The model the queue's model-based orders use: the served one ({@code --model}), else the registry's promoted
     * one; null when there is neither.
     *
     * @param source how the page names it ("served" or "promoted, registry model N")
     */
    private record QueueModel(Path dir, String id, String source, boolean teacher) {
        Map<String, Object> view() {
            Map<String, Object> view = new LinkedHashMap<>();
            view.put("id", id);
            view.put("source", source);
            view.put("teacher", teacher);
            return view;
        }
    }

    private QueueModel queueModel() {
        if (predictions != null) {
            return new QueueModel(predictions.modelDir(), predictions.modelId(), "served",
                    QueueScores.hasTeacher(predictions.modelDir()));
        }
        if (jobs == null) {
            return null;
        }
        RegisteredModel promoted = jobs.training().promoted().orElse(null);
        if (promoted == null) {
            return null;
        }
        Path dir = Path.of(promoted.modelFolder());
        if (!Files.isRegularFile(dir.resolve("model.json"))) {
            throw new ApiException(409, "model_missing", "the promoted model " + promoted.id() + " (" + promoted.modelId()
                    + ") is no longer in " + dir + "; promote another model");
        }
        return new QueueModel(dir, promoted.modelId(), "promoted, registry model " + promoted.id(), QueueScores.hasTeacher(dir));
    }

    /** What a strategy needs beyond the annotations, in words; null for nothing. */
    private static String needs(Strategy strategy) {
        if (strategy.needsTeacher()) {
            return "an HKD model (its student and teacher)";
        }
        return strategy.needsStudent() ? "a model (its student)" : null;
    }

    /**
     * {@code GET /api/queue?strategy&offset&limit&seed}: the unannotated images outside the test part
     * ({@link AnnotationQueue}) in the strategy's order ({@link Strategy#rank}; default {@link AnnotationQueue#DEFAULT_STRATEGY}),
     * a page of them with rank, score and reason, and what the page needs to offer the strategies: each with what it
     * needs and whether this studio has it, the default and why. 400 {@code unknown_strategy}; 409 {@code
     * model_required} or {@code teacher_required} when the strategy needs a model this studio lacks; 503
     * {@code queue_scores_pending} with Retry-After while the model scores the candidates (on its own thread).
     */
    private void queue(Context ctx) throws InterruptedException {
        String name = ctx.queryParam("strategy");
        Strategy strategy;
        try {
            strategy = name == null ? AnnotationQueue.DEFAULT_STRATEGY : Strategy.parse(name);
        } catch (BadInputException e) {
            throw new ApiException(400, "unknown_strategy", "strategy '" + shortened(name) + "' is unknown; use one of "
                    + Strategy.names());
        }
        int offset = intParam(ctx, "offset", 0, 0, Integer.MAX_VALUE);
        int limit = intParam(ctx, "limit", QUEUE_PAGE, 1, MAX_PAGE);
        String seedText = ctx.queryParam("seed");
        long seed = seedText == null ? AnnotationQueue.DEFAULT_SEED : parseLong("seed", seedText);
        QueueModel model;
        try {
            model = queueModel();
        } catch (ApiException e) {
            if (strategy.needsStudent()) {
                throw e; // the promoted model's folder is gone
            }
            model = null;
        }
        if (strategy.needsStudent() && model == null) {
            throw new ApiException(409, "model_required", strategy.cliName() + " needs " + needs(strategy) + ", and this "
                    + "studio has none: start it with --model DIR, or promote a registered model (Models); random, "
                    + "stratified and coverage need no model");
        }
        if (strategy.needsTeacher() && !model.teacher()) {
            throw new ApiException(409, "teacher_required", strategy.cliName() + " compares the model's student with its "
                    + "teacher, and model " + model.id() + " (" + model.source() + ") has no teacher (no teacher/ in its "
                    + "folder: not an HKD model); serve or promote an HKD model");
        }
        AnnotationQueue.Candidates candidates = AnnotationQueue.candidates(store);
        QueueScores.Scores scores = null;
        if (strategy.needsStudent()) {
            try {
                scores = queueScores.scores(model.dir(), model.id(), strategy.needsTeacher(), candidates.unannotated(),
                        QUEUE_WAIT_MILLIS);
            } catch (QueueScores.Pending e) {
                ctx.header("Retry-After", "2");
                throw new ApiException(503, "queue_scores_pending", "model " + model.id() + " is scoring the candidates ("
                        + e.done + " of " + e.total + " images); ask again in a few seconds");
            } catch (IllegalStateException e) {
                throw new ApiException(500, "queue_scores_failed", firstLine(e.getMessage()));
            }
        }
        List<AnnotationQueue.Ranked> ranked = AnnotationQueue.rank(strategy, candidates,
                scores == null ? null : scores.student(), scores == null ? null : scores.teacher(), seed);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("strategy", strategy.cliName());
        body.put("defaultStrategy", AnnotationQueue.DEFAULT_STRATEGY.cliName());
        body.put("defaultReason", AnnotationQueue.DEFAULT_REASON);
        List<Map<String, Object>> strategies = new ArrayList<>();
        for (Strategy s : Strategy.values()) {
            Map<String, Object> view = new LinkedHashMap<>();
            view.put("name", s.cliName());
            view.put("needs", needs(s));
            view.put("available", !s.needsStudent() || model != null && (!s.needsTeacher() || model.teacher()));
            strategies.add(view);
        }
        body.put("strategies", strategies);
        body.put("model", model == null ? null : model.view());
        body.put("seed", seed);
        body.put("candidates", candidates.unannotated().size());
        body.put("testImages", candidates.testImages());
        body.put("unscored", candidates.unannotated().size() - ranked.size());
        body.put("total", ranked.size());
        body.put("offset", offset);
        body.put("limit", limit);
        List<Map<String, Object>> images = new ArrayList<>();
        for (AnnotationQueue.Ranked r : ranked.subList(Math.min(offset, ranked.size()), (int) Math.min((long) offset + limit,
                ranked.size()))) {
            Map<String, Object> item = imageView(r.image());
            item.put("rank", r.rank());
            item.put("score", r.score());
            item.put("reason", r.reason());
            images.add(item);
        }
        body.put("images", images);
        ctx.attribute(AUDIT_RESULT, "queue " + strategy.cliName() + " offset " + offset);
        answer(ctx, 200, body);
    }

    private Path imageFile(ImageEntry image) {
        Path file = dataDir.resolve(image.file()).normalize();
        if (!file.startsWith(dataDir) || !Files.isRegularFile(file)) {
            throw new ApiException(404, "image_file_missing", "the file of image " + image.id()
                    + " is not in the data folder; check --data");
        }
        return file;
    }

    private void createRegion(Context ctx) throws IOException {
        Person person = requireRole(ctx, Role.ANNOTATOR, "draw regions");
        ImageEntry image = requireImage(ctx);
        StoredRegion region = store.createRegion(image.id(), draft(body(ctx)), person);
        regionsChanged(image.id());
        ctx.attribute(AUDIT_RESULT, "create region " + region.id() + " version 1 on image " + image.id());
        answer(ctx, 201, StudioViews.region(region));
    }

    private void editRegion(Context ctx) throws IOException {
        Person person = requireRole(ctx, Role.ANNOTATOR, "edit regions");
        JsonNode body = body(ctx);
        long id = regionId(ctx);
        answerChange(ctx, "edit region " + id, store.editRegion(id, baseVersion(body.get("baseVersion")), draft(body), person));
    }

    private void deleteRegion(Context ctx) {
        Person person = requireRole(ctx, Role.ANNOTATOR, "delete regions");
        long id = regionId(ctx);
        String base = ctx.queryParam("baseVersion");
        if (base == null) {
            throw new ApiException(400, "bad_request", "give ?baseVersion=N, the version you are deleting");
        }
        answerChange(ctx, "delete region " + id, store.deleteRegion(id, parseInt("baseVersion", base), person));
    }

    private void review(Context ctx) throws IOException {
        Person person = requireRole(ctx, Role.REVIEWER, "review regions");
        JsonNode body = body(ctx);
        long id = regionId(ctx);
        ReviewState verdict = switch (text(body, "verdict")) {
            case "accepted" -> ReviewState.ACCEPTED;
            case "rejected" -> ReviewState.REJECTED;
            default -> throw new ApiException(400, "bad_request", "\"verdict\" must be accepted or rejected");
        };
        answerChange(ctx, "review region " + id + " " + verdict.text(),
                store.review(id, baseVersion(body.get("baseVersion")), verdict, person));
    }

    private void noFinding(Context ctx) throws IOException {
        Person person = requireRole(ctx, Role.ANNOTATOR, "mark images");
        ImageEntry image = requireImage(ctx);
        JsonNode body = body(ctx);
        JsonNode marked = body.get("marked");
        if (marked == null || !marked.isBoolean()) {
            throw new ApiException(400, "bad_request", "give \"marked\": true or false");
        }
        Change<NoFindingMark> change = store.markNoFinding(image.id(), baseVersion(body.get("baseVersion")),
                marked.booleanValue(), person);
        answerChange(ctx, "mark image " + image.id() + " no finding " + marked.booleanValue(), change);
    }

    /** 200 with the saved value, or 409 {@code conflict} with both versions; audited either way. */
    private <T> void answerChange(Context ctx, String what, Change<T> change) {
        if (change instanceof Change.Saved<T> saved) {
            if (saved.value() instanceof StoredRegion region) {
                regionsChanged(region.imageId());
            }
            ctx.attribute(AUDIT_RESULT, what + " saved");
            answer(ctx, 200, StudioViews.of(saved.value()));
        } else if (change instanceof Change.Conflict<T> conflict) {
            ctx.attribute(AUDIT_RESULT, what + " conflict");
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("status", 409);
            body.put("code", "conflict");
            body.put("message", "someone changed it first; merge with theirs, or overwrite by sending yours with theirs' version");
            body.put("requestId", RequestAttributes.requestId(ctx));
            body.put("theirs", StudioViews.of(conflict.theirs()));
            body.put("yours", StudioViews.of(conflict.yours()));
            JsonAnswers.json(ctx, 409, body);
        }
    }

    /** The served model's heat shares of this image follow its regions (recomputed in the background). */
    private void regionsChanged(String imageId) {
        if (predictions != null) {
            predictions.heat().regionsChanged(imageId);
        }
    }

    private static Person requireRole(Context ctx, Role needed, String what) {
        Person person = person(ctx);
        boolean allowed = person.role() == Role.ADMIN || person.role() == needed;
        if (!allowed) {
            throw new ApiException(403, "forbidden_role", person.name() + " is " + person.role().text() + "; only "
                    + needed.text() + "s and admins " + what);
        }
        return person;
    }

    private static Person person(Context ctx) {
        return ctx.attribute(PERSON);
    }

    private ImageEntry requireImage(Context ctx) {
        String id = ctx.pathParam("id");
        return store.image(id).orElseThrow(() -> new ApiException(404, "image_not_found", "no image '" + id
                + "' in the database; import the data set (pneuknow annotations import)"));
    }

    /** A region's type, label and box or polygon from a request body. */
    static RegionDraft draft(JsonNode body) {
        Geometry geometry;
        JsonNode box = body.get("box");
        JsonNode polygon = body.get("polygon");
        if (box != null && box.isObject()) {
            geometry = Geometry.box(intField(box, "x"), intField(box, "y"), intField(box, "width"), intField(box, "height"));
        } else if (polygon != null && polygon.isArray()) {
            List<Geometry.Point> points = new ArrayList<>();
            for (JsonNode point : polygon) {
                if (!point.isArray() || point.size() != 2 || !point.get(0).isNumber() || !point.get(1).isNumber()) {
                    throw new ApiException(400, "bad_request", "a polygon is a list of [x, y] number pairs");
                }
                points.add(new Geometry.Point(point.get(0).doubleValue(), point.get(1).doubleValue()));
            }
            geometry = Geometry.polygon(points);
        } else {
            throw new ApiException(400, "bad_request", "a region needs \"box\": {x, y, width, height} or \"polygon\": [[x, y], ...]");
        }
        return new RegionDraft(text(body, "type"), text(body, "label"), geometry);
    }

    private static int intField(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || !value.canConvertToInt() || !value.isIntegralNumber()) {
            throw new ApiException(400, "bad_request", "box field \"" + field + "\" must be a whole number");
        }
        return value.intValue();
    }

    private static String text(JsonNode body, String field) {
        JsonNode value = body.get(field);
        if (value == null || !value.isTextual() || value.textValue().isBlank()) {
            throw new ApiException(400, "bad_request", "give \"" + field + "\" as a non-empty string");
        }
        return value.textValue();
    }

    private static int baseVersion(JsonNode value) {
        if (value == null || !value.isIntegralNumber() || !value.canConvertToInt() || value.intValue() < 0) {
            throw new ApiException(400, "bad_request", "give \"baseVersion\": the version your change starts from");
        }
        return value.intValue();
    }

    private static JsonNode body(Context ctx) throws IOException {
        JsonNode body = Json.MAPPER.readTree(ctx.bodyAsBytes());
        if (body == null || !body.isObject()) {
            throw new ApiException(400, "bad_request", "the body must be a JSON object");
        }
        return body;
    }

    private static long regionId(Context ctx) {
        String text = ctx.pathParam("rid");
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new ApiException(400, "bad_request", "region id '" + text + "' is not a number");
        }
    }

    private static int intParam(Context ctx, String name, int absent, int min, int max) {
        String text = ctx.queryParam(name);
        if (text == null) {
            return absent;
        }
        int value = parseInt(name, text);
        if (value < min || value > max) {
            throw new ApiException(400, "bad_request", name + " must be between " + min + " and " + max + ", got " + value);
        }
        return value;
    }

    private static int parseInt(String name, String text) {
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new ApiException(400, "bad_request", name + " must be a whole number, got '" + shortened(text) + "'");
        }
    }

    private static double doubleParam(Context ctx, String name, double absent) {
        String text = ctx.queryParam(name);
        if (text == null) {
            return absent;
        }
        try {
            return Double.parseDouble(text);
        } catch (NumberFormatException e) {
            throw new ApiException(400, "bad_request", name + " must be a number, got '" + shortened(text) + "'");
        }
    }

    private static Boolean booleanParam(Context ctx, String name) {
        String text = ctx.queryParam(name);
        if (text == null) {
            return null;
        }
        return switch (text) {
            case "true" -> Boolean.TRUE;
            case "false" -> Boolean.FALSE;
            default -> throw new ApiException(400, "bad_request", name + " must be true or false");
        };
    }

    private static Map<String, Object> imageView(ImageEntry image) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("id", image.id());
        view.put("className", image.className());
        view.put("part", image.part());
        return view;
    }

    /** The served model and how far its predictions have come; null when no model is served. */
    private Map<String, Object> modelView() {
        if (predictions == null) {
            return null;
        }
        AnnotationStore.PredictionProgress progress = store.predictionProgress(predictions.modelId());
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("id", predictions.modelId());
        view.put("classes", predictions.classes());
        view.put("predicted", progress.predicted());
        view.put("total", progress.images());
        view.put("disagreements", store.disagreements(predictions.modelId()));
        view.put("skipped", predictions.skipped());
        view.put("running", predictions.running());
        return view;
    }

    /**
     * {label, probability, heatInside, regionArea, disagrees, reasons}, or null for no prediction: reasons lists
     * "class" when the label is not the image's class and "heat" when the heat share inside the lesion regions is below
     * their area share ({@link StoredPrediction#disagreesWith}).
     */
    private static Map<String, Object> predictionView(StoredPrediction prediction, String className) {
        if (prediction == null) {
            return null;
        }
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("label", prediction.label());
        view.put("probability", prediction.probability());
        view.put("heatInside", prediction.heatInside());
        view.put("regionArea", prediction.regionArea());
        view.put("disagrees", prediction.disagreesWith(className));
        List<String> reasons = new ArrayList<>();
        if (className != null && !className.equals(prediction.label())) {
            reasons.add("class");
        }
        if (prediction.heatOutsideRegions()) {
            reasons.add("heat");
        }
        view.put("reasons", reasons);
        return view;
    }

    private static Map<String, Object> personView(Person person) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("name", person.name());
        view.put("role", person.role().text());
        return view;
    }

    private static void answer(Context ctx, int status, Object value) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("requestId", RequestAttributes.requestId(ctx));
        body.put("value", value);
        JsonAnswers.json(ctx, status, body);
    }

    private static boolean changes(Context ctx) {
        String method = ctx.method().name();
        return !method.equals("GET") && !method.equals("HEAD");
    }

    private static boolean isApi(Context ctx) {
        return ctx.path().equals("/api") || ctx.path().startsWith("/api/");
    }

    private static String shortened(String text) {
        return text.length() <= 40 ? text : text.substring(0, 40) + "...";
    }

    private static String firstLine(String message) {
        return message == null ? "" : message.lines().findFirst().orElse("");
    }

    /** A file of the page ({@link WebPage#FILES}, nothing else), or 404. */
    private static void webFile(Context ctx, String name) {
        String type = WebPage.FILES.get(name);
        byte[] bytes = type == null ? null : WebPage.read(name);
        if (bytes == null) {
            throw new ApiException(404, "not_found", "no file " + ctx.path() + (WebPage.bundled() ? ""
                    : "; this build has no studio page (install npm and rebuild)"));
        }
        ctx.contentType(type).header("Cache-Control", "no-cache").result(bytes);
    }

    private static byte[] resource(String name) {
        byte[] bytes = WebPage.read(name);
        if (bytes == null) {
            throw new IllegalStateException("missing resource web/" + name);
        }
        return bytes;
    }

    /** The regions CSV that training reads ({@link AnnotationExport#csv}), as a download. */
    private void exportCsv(Context ctx) throws IOException {
        Path file = Files.createTempFile("pneuknow-studio-export", ".csv");
        try {
            AnnotationExport.Count count = AnnotationExport.csv(store, dataDir, file);
            ctx.attribute(AUDIT_RESULT, "export " + count.written() + " regions as CSV");
            ctx.status(200).contentType("text/csv; charset=utf-8")
                    .header("Content-Disposition", "attachment; filename=\"regions.csv\"").result(Files.readAllBytes(file));
        } finally {
            Files.deleteIfExists(file);
        }
    }

    // ---------------------------------------------------------------- training jobs and the model registry

    private void jobRoutes() {
        app.post("/api/jobs", ctx -> {
            Person person = requireAdmin(ctx, "start training jobs");
            JobSettings settings;
            try {
                settings = JobSettings.of(body(ctx));
            } catch (BadInputException e) {
                throw new ApiException(400, "bad_request", e.getMessage());
            }
            Job job = runner().submit(settings, person);
            ctx.attribute(AUDIT_RESULT, "start job " + job.id() + " " + settings.json());
            answer(ctx, 201, StudioViews.job(job));
        });
        app.get("/api/jobs", ctx -> answer(ctx, 200, Map.of("jobs",
                runner().training().jobs().stream().map(StudioViews::job).toList())));
        app.post("/api/jobs/{id}/cancel", ctx -> {
            Person person = requireAdmin(ctx, "cancel training jobs");
            long id = longParam(ctx, "id");
            Job job = runner().training().job(id).orElseThrow(() -> new ApiException(404, "job_not_found", "no job " + id));
            if (!runner().cancel(job.id(), person)) {
                throw new ApiException(409, "job_ended", "job " + id + " has ended (" + runner().training().job(id)
                        .map(j -> j.state().text()).orElse("?") + "); only a queued or running job can be cancelled");
            }
            ctx.attribute(AUDIT_RESULT, "cancel job " + id);
            answer(ctx, 200, StudioViews.job(runner().training().job(id).orElseThrow()));
        });
        app.get("/api/jobs/{id}/report", ctx -> {
            long id = longParam(ctx, "id");
            Job job = runner().training().job(id).orElseThrow(() -> new ApiException(404, "job_not_found", "no job " + id));
            Path report = JobRunner.studyReport(job).orElseThrow(() -> new ApiException(404, "no_report",
                    JobSettings.STUDY.equals(job.kind()) ? "job " + id + " (" + job.state().text() + ") has no study report yet"
                            : "job " + id + " trains a model (" + job.kind() + "); only study jobs write a report"));
            ctx.attribute(AUDIT_RESULT, "view study report of job " + id);
            ctx.header("Content-Security-Policy", REPORT_POLICY);
            ctx.status(200).contentType("text/html; charset=utf-8").result(Files.readAllBytes(report));
        });
        app.get("/api/models", ctx -> answer(ctx, 200, Map.of("models",
                runner().training().models().stream().map(StudioViews::model).toList())));
        app.get("/api/models/compare", ctx -> {
            RegisteredModel a = model(ctx, "a");
            RegisteredModel b = model(ctx, "b");
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("a", StudioViews.modelWithCard(a));
            body.put("b", StudioViews.modelWithCard(b));
            body.put("difference", StudioViews.metricDifference(a, b));
            ctx.attribute(AUDIT_RESULT, "compare models " + a.id() + " and " + b.id());
            answer(ctx, 200, body);
        });
        app.post("/api/models/{id}/promote", ctx -> {
            requireAdmin(ctx, "promote models");
            long id = longParam(ctx, "id");
            RegisteredModel promoted = runner().training().promote(id).orElseThrow(() -> new ApiException(404,
                    "model_not_found", "no registered model " + id));
            ctx.attribute(AUDIT_RESULT, "promote model " + id + " (" + promoted.modelId() + ")");
            answer(ctx, 200, StudioViews.model(promoted));
        });
    }

    private JobRunner runner() {
        if (jobs == null) {
            throw new ApiException(503, "no_jobs", "this studio runs no training jobs; start it with pneuknow studio");
        }
        return jobs;
    }

    private RegisteredModel model(Context ctx, String param) {
        String text = ctx.queryParam(param);
        if (text == null) {
            throw new ApiException(400, "bad_request", "give ?a=ID&b=ID, the registered models to compare");
        }
        long id = parseLong(param, text);
        return runner().training().model(id).orElseThrow(() -> new ApiException(404, "model_not_found",
                "no registered model " + id));
    }

    private static Person requireAdmin(Context ctx, String what) {
        Person person = person(ctx);
        if (person.role() != Role.ADMIN) {
            throw new ApiException(403, "forbidden_role", person.name() + " is " + person.role().text() + "; only admins "
                    + what);
        }
        return person;
    }

    private static long longParam(Context ctx, String name) {
        return parseLong(name, ctx.pathParam(name));
    }

    private static long parseLong(String name, String text) {
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new ApiException(400, "bad_request", name + " must be a whole number, got '" + shortened(text) + "'");
        }
    }
}
