package io.pneuknow.serve;

import io.javalin.Javalin;
import io.javalin.config.SizeUnit;
import io.javalin.http.Context;
import io.pneuknow.guard.InputGuard;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The HTTP service (Javalin): the web page at {@code /}, {@code GET /health}, {@code GET /v1/model},
 * {@code POST /v1/predict} and {@code POST /v1/explain} (multipart field {@code image}: PNG, JPEG or
 * DICOM, recognised by its bytes). Every answer carries a request id (header {@code X-Request-Id}, and
 * in JSON bodies); errors are JSON {@code {status, code, message, requestId}} with a one-line message and
 * never a stack trace. Limits: upload bytes (413), pixels before decoding (413), content that is no
 * supported image (415), requests in flight (503 {@code busy} with Retry-After; a slot is taken once the upload
 * has arrived), time per request (503 {@code timeout}; its remaining stages are not started), an upload arriving
 * slower than the minimum upload rate (default {@link #DEFAULT_MIN_UPLOAD_BYTES_PER_SECOND}, 408
 * {@code slow_upload}), memory the requests' work holds beyond the {@link MemoryBudget} (503 {@code memory_busy}, 413
 * {@code over_memory_budget}). A huge PNG or JPEG is read
 * subsampled to what the model needs ({@link ImageEndpoints}). With an API key every {@code /v1} route needs it (401 otherwise; 429 with Retry-After for an
 * address that sent too many wrong keys, {@link FailedAuthLimiter}); the page and {@code /health} stay open. The
 * HTTP layer's own refusals (400 bad request line or header, 414 URI too long, 431 headers too large) are the same
 * JSON errors ({@link HttpLayerErrors}). Every answer carries the {@link SecurityHeaders} (and API answers
 * {@code Cache-Control: no-store}); no cross-origin access is granted (no {@code Access-Control-Allow-Origin}; a
 * preflight gets 405). Requests whose {@code Host} is not on the {@link HostAllowList} get 421; a method a route
 * does not take gets 405 with {@code Allow}. The client address (limit, logs) is the peer's, or behind a trusted
 * reverse proxy the one its {@code X-Forwarded-For} names ({@link ClientAddress}). One access-log line per request:
 * time, client address, method, path,
 * status, milliseconds, request id and, for uploads, the SHA-256 of the bytes; never the upload's file name,
 * pixels or header values. With an audit log, two JSON lines per {@code /v1} request as well, at its start and
 * its end, naming the {@link Principal} it acted for ({@link AuditLog}).
 *
 * <p>This class wires the routes and filters to the parts that do the work: {@link ImageEndpoints} (predict,
 * explain), {@link PageEndpoints} (page, health, model card), {@link Uploads} (the upload's checks),
 * {@link RequestLimits} (size, in-flight and time limits), {@link ApiKeyCheck}, {@link ErrorAnswers} (exceptions
 * to JSON errors) and {@link RequestLog} (access and audit logs).
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
     *     is answered 503 {@code timeout}; its remaining stages are not started (a forward pass already running,
     *     which cannot be stopped, finishes in the background)
     * @param apiKey the key every {@code /v1} route requires; null for none
     * @param auditLog the audit log's file and rotation; null for none
     * @param allowedHosts the names a request's {@code Host} header may carry (port ignored), {@code *} for any;
     *     empty: {@link HostAllowList#LOOPBACK} on a loopback bind, any on another
     * @param modelDetails whether {@code GET /v1/model} tells the training command's file paths, the teacher's
     *     path and the library, Java and OS versions (an admin's choice; off by default)
     * @param trustedProxies the addresses (IPv4 or IPv6 literals) of reverse proxies whose {@code X-Forwarded-For}
     *     names the client, for the failed-key limit and the logs ({@link ClientAddress}); empty: the header is
     *     ignored and the client is the peer
     * @param memoryBudgetBytes the process-wide budget for the memory image requests' work holds ({@link MemoryBudget});
     *     0: {@link MemoryBudget#defaultBytes()}
     * @param minUploadBytesPerSecond the slowest a request body may arrive (408 {@code slow_upload} below it)
     * @param failedAuthPerMinute wrong API keys an address may send within a minute before it gets 429
     */
    public record Settings(String host, int port, long maxUploadBytes, long maxPixels, int maxInFlight,
                           double minConfidence, Duration requestTimeout, ApiKey apiKey, AuditLog.Options auditLog,
                           List<String> allowedHosts, boolean modelDetails, List<String> trustedProxies,
                           long memoryBudgetBytes, long minUploadBytesPerSecond, int failedAuthPerMinute) {
        public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

        /**
         * Copies the lists of allowed hosts and trusted proxies (null is none); throws {@link io.pneuknow.BadInputException}
         * for a trusted proxy that is no IP address, {@link IllegalArgumentException} for a negative budget or pixel
         * limit or a rate under 1.
         */
        public Settings {
            allowedHosts = allowedHosts == null ? List.of() : List.copyOf(allowedHosts);
            trustedProxies = trustedProxies == null ? List.of() : List.copyOf(trustedProxies);
            ClientAddress.trusting(trustedProxies);
            if (memoryBudgetBytes < 0 || maxPixels < 0 || minUploadBytesPerSecond < 1 || failedAuthPerMinute < 1) {
                throw new IllegalArgumentException("memory budget and pixel limit must be 0 (derived) or positive, the "
                        + "upload rate and failed-key limit at least 1");
            }
        }

        /** The settings with the default memory budget, minimum upload rate and failed-key limit. */
        public Settings(String host, int port, long maxUploadBytes, long maxPixels, int maxInFlight,
                        double minConfidence, Duration requestTimeout, ApiKey apiKey, AuditLog.Options auditLog,
                        List<String> allowedHosts, boolean modelDetails, List<String> trustedProxies) {
            this(host, port, maxUploadBytes, maxPixels, maxInFlight, minConfidence, requestTimeout, apiKey, auditLog,
                    allowedHosts, modelDetails, trustedProxies, 0, DEFAULT_MIN_UPLOAD_BYTES_PER_SECOND,
                    FailedAuthLimiter.DEFAULT_MAX_FAILURES);
        }

        /** The settings without trusted proxies. */
        public Settings(String host, int port, long maxUploadBytes, long maxPixels, int maxInFlight,
                        double minConfidence, Duration requestTimeout, ApiKey apiKey, AuditLog.Options auditLog,
                        List<String> allowedHosts, boolean modelDetails) {
            this(host, port, maxUploadBytes, maxPixels, maxInFlight, minConfidence, requestTimeout, apiKey, auditLog,
                    allowedHosts, modelDetails, List.of());
        }

        /** The settings with the default host allow-list and without model details. */
        public Settings(String host, int port, long maxUploadBytes, long maxPixels, int maxInFlight,
                        double minConfidence, Duration requestTimeout, ApiKey apiKey, AuditLog.Options auditLog) {
            this(host, port, maxUploadBytes, maxPixels, maxInFlight, minConfidence, requestTimeout, apiKey, auditLog,
                    List.of(), false);
        }

        /**
         * 127.0.0.1:8080, 32 MiB uploads, pixels and memory budget derived ({@link MemoryBudget}), 16 in flight,
         * 60 s, no key, no audit log.
         */
        public static Settings defaults() {
            return new Settings("127.0.0.1", 8080, 32L << 20, 0, 16, InputGuard.DEFAULT_MIN_CONFIDENCE,
                    DEFAULT_TIMEOUT, null, null);
        }

        public Settings withPort(int other) {
            return new Settings(host, other, maxUploadBytes, maxPixels, maxInFlight, minConfidence, requestTimeout,
                    apiKey, auditLog, allowedHosts, modelDetails, trustedProxies, memoryBudgetBytes, minUploadBytesPerSecond,
                    failedAuthPerMinute);
        }

        public Settings withMaxInFlight(int other) {
            return new Settings(host, port, maxUploadBytes, maxPixels, other, minConfidence, requestTimeout, apiKey,
                    auditLog, allowedHosts, modelDetails, trustedProxies, memoryBudgetBytes, minUploadBytesPerSecond,
                    failedAuthPerMinute);
        }

        public Settings withRequestTimeout(Duration other) {
            return new Settings(host, port, maxUploadBytes, maxPixels, maxInFlight, minConfidence, other, apiKey,
                    auditLog, allowedHosts, modelDetails, trustedProxies, memoryBudgetBytes, minUploadBytesPerSecond,
                    failedAuthPerMinute);
        }

        public Settings withApiKey(ApiKey other) {
            return new Settings(host, port, maxUploadBytes, maxPixels, maxInFlight, minConfidence, requestTimeout,
                    other, auditLog, allowedHosts, modelDetails, trustedProxies, memoryBudgetBytes, minUploadBytesPerSecond,
                    failedAuthPerMinute);
        }

        /** The audit log in {@code other} with the default rotation. */
        public Settings withAuditLog(Path other) {
            return withAuditLog(AuditLog.Options.of(other));
        }

        /** The audit log with its own rotation. */
        public Settings withAuditLog(AuditLog.Options other) {
            return new Settings(host, port, maxUploadBytes, maxPixels, maxInFlight, minConfidence, requestTimeout,
                    apiKey, other, allowedHosts, modelDetails, trustedProxies, memoryBudgetBytes, minUploadBytesPerSecond,
                    failedAuthPerMinute);
        }

        /** These settings answering only requests whose {@code Host} is one of {@code hosts} ({@code *}: any). */
        public Settings withAllowedHosts(List<String> hosts) {
            return new Settings(host, port, maxUploadBytes, maxPixels, maxInFlight, minConfidence, requestTimeout,
                    apiKey, auditLog, hosts, modelDetails, trustedProxies, memoryBudgetBytes, minUploadBytesPerSecond,
                    failedAuthPerMinute);
        }

        /** These settings with {@code GET /v1/model} telling paths and platform versions, or not. */
        public Settings withModelDetails(boolean details) {
            return new Settings(host, port, maxUploadBytes, maxPixels, maxInFlight, minConfidence, requestTimeout,
                    apiKey, auditLog, allowedHosts, details, trustedProxies, memoryBudgetBytes, minUploadBytesPerSecond,
                    failedAuthPerMinute);
        }

        /** These settings with a memory budget of {@code bytes} (0: the default). */
        public Settings withMemoryBudget(long bytes) {
            return new Settings(host, port, maxUploadBytes, maxPixels, maxInFlight, minConfidence, requestTimeout,
                    apiKey, auditLog, allowedHosts, modelDetails, trustedProxies, bytes, minUploadBytesPerSecond,
                    failedAuthPerMinute);
        }

        /** These settings refusing uploads over {@code pixels} (0: derived from the memory budget). */
        public Settings withMaxPixels(long pixels) {
            return new Settings(host, port, maxUploadBytes, pixels, maxInFlight, minConfidence, requestTimeout,
                    apiKey, auditLog, allowedHosts, modelDetails, trustedProxies, memoryBudgetBytes,
                    minUploadBytesPerSecond, failedAuthPerMinute);
        }

        /** These settings cutting uploads slower than {@code bytesPerSecond}. */
        public Settings withMinUploadBytesPerSecond(long bytesPerSecond) {
            return new Settings(host, port, maxUploadBytes, maxPixels, maxInFlight, minConfidence, requestTimeout,
                    apiKey, auditLog, allowedHosts, modelDetails, trustedProxies, memoryBudgetBytes, bytesPerSecond,
                    failedAuthPerMinute);
        }

        /** These settings refusing (429) an address after {@code failures} wrong keys within a minute. */
        public Settings withFailedAuthPerMinute(int failures) {
            return new Settings(host, port, maxUploadBytes, maxPixels, maxInFlight, minConfidence, requestTimeout,
                    apiKey, auditLog, allowedHosts, modelDetails, trustedProxies, memoryBudgetBytes,
                    minUploadBytesPerSecond, failures);
        }

        /** These settings taking the client from {@code X-Forwarded-For} on requests from {@code proxies}. */
        public Settings withTrustedProxies(List<String> proxies) {
            return new Settings(host, port, maxUploadBytes, maxPixels, maxInFlight, minConfidence, requestTimeout,
                    apiKey, auditLog, allowedHosts, modelDetails, proxies, memoryBudgetBytes, minUploadBytesPerSecond,
                    failedAuthPerMinute);
        }
    }

    /** Each route's path and the methods it takes (the {@code Allow} header of a 405). */
    static final Map<String, String> ROUTES = Map.of("/", "GET", "/app.js", "GET", "/app.css", "GET", "/health", "GET",
            "/v1/model", "GET", "/v1/predict", "POST", "/v1/explain", "POST");

    /**
     * The default slowest a request body may arrive, in bytes a second (Jetty's minimum request data rate, measured
     * from the body's first byte): an upload slower than this is cut with 408 {@code slow_upload}.
     */
    public static final long DEFAULT_MIN_UPLOAD_BYTES_PER_SECOND = 1024;

    private final HostAllowList hosts;
    private final ApiKeyCheck keyCheck;
    private final RequestLimits limits;
    private final RequestLog log;
    private final ImageEndpoints images;
    private final PageEndpoints pages;
    private final ErrorAnswers errors;
    private final Javalin app;

    private Server(ModelPool pool, Settings settings, PrintStream accessLog, Runnable beforeModel) {
        this.hosts = HostAllowList.of(settings.host(), settings.allowedHosts());
        ClientAddress clients = ClientAddress.trusting(settings.trustedProxies());
        this.keyCheck = settings.apiKey() == null ? null
                : new ApiKeyCheck(settings.apiKey(), FailedAuthLimiter.perMinute(settings.failedAuthPerMinute()), accessLog,
                clients);
        MemoryBudget budget = new MemoryBudget(memoryBudgetBytes(settings));
        this.limits = new RequestLimits(settings.maxUploadBytes(), settings.maxInFlight(), settings.requestTimeout(),
                beforeModel, accessLog, budget);
        this.images = new ImageEndpoints(pool, new InputGuard(pool.card(), settings.minConfidence()),
                new Uploads(settings.maxUploadBytes(), maxPixels(settings, pool), settings.minUploadBytesPerSecond()),
                limits);
        this.pages = new PageEndpoints(pool, settings.modelDetails());
        this.errors = new ErrorAnswers(settings.maxUploadBytes(), accessLog);
        this.log = new RequestLog(accessLog, settings.auditLog(), pool.card().weightsSha256(), clients);
        this.app = Javalin.create(config -> {
            config.showJavalinBanner = false;
            config.startupWatcherEnabled = false;
            config.jetty.modifyServer(jetty -> jetty.setErrorHandler(new HttpLayerErrors(log, clients)));
            config.jetty.modifyHttpConfiguration(http -> http.setMinRequestDataRate(settings.minUploadBytesPerSecond()));
            config.http.maxRequestSize = settings.maxUploadBytes() + (1 << 16);
            config.jetty.multipartConfig.maxFileSize(settings.maxUploadBytes(), SizeUnit.BYTES);
            config.jetty.multipartConfig.maxTotalRequestSize(settings.maxUploadBytes() + (1 << 16), SizeUnit.BYTES);
            config.jetty.multipartConfig.maxInMemoryFileSize((int) Math.min(Integer.MAX_VALUE, settings.maxUploadBytes()),
                    SizeUnit.BYTES);
        });
        routes();
    }

    /** The memory budget the settings give, or the default ({@link MemoryBudget#defaultBytes()}). */
    public static long memoryBudgetBytes(Settings settings) {
        return settings.memoryBudgetBytes() > 0 ? settings.memoryBudgetBytes() : MemoryBudget.defaultBytes();
    }

    /**
     * The pixel limit the settings give, or the one derived from the memory budget for the pool's model
     * ({@link MemoryBudget#defaultMaxPixels}).
     */
    public static long maxPixels(Settings settings, ModelPool pool) {
        return settings.maxPixels() > 0 ? settings.maxPixels() : MemoryBudget.defaultMaxPixels(memoryBudgetBytes(settings),
                pool.card().architecture(), pool.card().preprocessing().inputSize());
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

    /** The TCP port the service is bound to. */
    public int port() {
        return app.port();
    }

    /** Stops accepting requests and stops the server (requests in progress are given Jetty's grace period). */
    @Override
    public void close() {
        app.stop();
        limits.stop();
        log.close();
    }

    private void routes() {
        app.before(ctx -> {
            RequestAttributes.begin(ctx);
            if (log.audits() && isApi(ctx)) {
                log.auditStart(ctx);
            }
            SecurityHeaders.apply(ctx);
            if (!hosts.allows(ctx.header("Host"))) {
                throw new ApiException(421, "misdirected_host", "this server answers only the hosts " + hosts.describe()
                        + "; set --allowed-hosts to serve another name");
            }
            String allowed = ROUTES.get(ctx.path());
            if (allowed != null && !allowed.equals(ctx.method().name())
                    && !(allowed.equals("GET") && ctx.method().name().equals("HEAD"))) {
                ctx.header("Allow", allowed);
                throw new ApiException(405, "method_not_allowed", ctx.method().name() + " is not allowed on "
                        + ctx.path() + "; use " + allowed);
            }
            if (keyCheck == null) {
                RequestAttributes.principal(ctx, Principal.ANONYMOUS);
            } else if (isApi(ctx)) {
                RequestAttributes.principal(ctx, keyCheck.authorize(ctx));
            }
            if (ctx.path().startsWith("/v1/predict") || ctx.path().startsWith("/v1/explain")) {
                limits.checkDeclaredLength(ctx); // the in-flight slot is taken by the route, once the body has arrived
            }
        });
        app.after(ctx -> {
            limits.release(ctx);
            log.access(ctx);
            if (log.audits() && isApi(ctx)) {
                log.audit(ctx);
            }
        });
        app.get("/", PageEndpoints.resource("index.html", "text/html; charset=utf-8"));
        app.get("/app.js", PageEndpoints.resource("app.js", "text/javascript; charset=utf-8"));
        app.get("/app.css", PageEndpoints.resource("app.css", "text/css; charset=utf-8"));
        app.get("/health", pages::health);
        app.get("/v1/model", pages::model);
        app.post("/v1/predict", images::predict);
        app.post("/v1/explain", images::explain);
        app.exception(Exception.class, errors::exception);
        app.error(404, errors::notFound);
        app.error(405, errors::methodNotAllowed);
    }

    private static boolean isApi(Context ctx) {
        return ctx.path().equals("/v1") || ctx.path().startsWith("/v1/");
    }
}
