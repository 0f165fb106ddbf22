package io.pneuknow.cli;

import io.pneuknow.BadInputException;
import io.pneuknow.serve.ApiKey;
import io.pneuknow.serve.AuditLog;
import io.pneuknow.serve.ModelPool;
import io.pneuknow.serve.Server;
import io.pneuknow.train.EngineThreads;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code pneuknow serve}: the HTTP service and web page for a model bundle, until stopped (Ctrl-C). */
@Command(name = "serve", sortOptions = false, description = {
        "Serve a model over HTTP: the web page at /, GET /health, GET /v1/model, POST /v1/predict and POST /v1/explain "
                + "(multipart field 'image': PNG, JPEG or DICOM; explain answers a PNG overlay, or JSON with ?format=json).",
        "Binds 127.0.0.1 unless --host says otherwise. Without --api-key-file there is no authentication: "
                + "expose it only behind a proxy that has one."})
final class ServeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", description = "Model directory written by 'pneuknow train --out' (required, unless --make-key or --registry).")
    Path model;

    @Option(names = "--registry", paramLabel = "FILE|URL", description = "Serve the model promoted in this annotation "
            + "database's registry (an H2 file or a jdbc: URL; the studio's Models panel or 'pneuknow registry promote' "
            + "promotes one), read at start. An H2 file can be open in one program at a time: stop the studio first.")
    String registry;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to bind (default: ${DEFAULT-VALUE}, this machine only).")
    String host;

    @Option(names = "--port", defaultValue = "8080", description = "TCP port; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--workers", defaultValue = "2", description = "Copies of the model serving requests in parallel (default: ${DEFAULT-VALUE}).")
    int workers;

    @Option(names = "--max-upload-mb", defaultValue = "32", description = "Largest upload in MiB (default: ${DEFAULT-VALUE}).")
    int maxUploadMb;

    @Option(names = "--max-pixels", description = "Largest width x height, checked before decoding (default: the largest "
            + "image one request may decode in full and explain within --memory-budget-mb: (budget - the model's part) / 36 bytes).")
    Long maxPixels;

    @Option(names = "--memory-budget-mb", description = "Memory in MiB that the image requests in flight may hold together "
            + "(decoded pixels, the model's input and activations, estimated before decoding and held until the work ends, "
            + "also after a timeout); a request that does not fit now gets 503 'memory_busy', one that never could 413 "
            + "(default: half the JVM's maximum heap, at most a quarter of the machine's memory, at least 256).")
    Long memoryBudgetMb;

    @Option(names = "--min-upload-bytes-per-second", defaultValue = "1024", description = "An upload arriving slower than "
            + "this is cut with 408 'slow_upload' (default: ${DEFAULT-VALUE}).")
    long minUploadBytesPerSecond;

    @Option(names = "--failed-auth-per-minute", defaultValue = "10", description = "Wrong API keys an address may send "
            + "within a minute; more get 429 'too_many_failures' (default: ${DEFAULT-VALUE}).")
    int failedAuthPerMinute;

    @Option(names = "--max-in-flight", defaultValue = "16", description = "Image requests handled at once; more are answered 503 (default: ${DEFAULT-VALUE}).")
    int maxInFlight;

    @Option(names = "--min-confidence", defaultValue = "0.5", description = "The input guard warns when the largest probability is below this (default: ${DEFAULT-VALUE}).")
    double minConfidence;

    @Option(names = "--request-timeout-seconds", defaultValue = "60", description = "Longest time an image request may take; "
            + "longer ones are answered 503 with code 'timeout' (default: ${DEFAULT-VALUE}).")
    int requestTimeoutSeconds;

    @Option(names = "--api-key-file", description = "File whose first line is the API key every /v1 route then requires "
            + "('Authorization: Bearer KEY' or 'X-API-Key: KEY'; 401 otherwise; 429 once an address sent "
            + "--failed-auth-per-minute wrong keys within a minute). At least 32 hex or 22 base64url characters. The page and /health stay open.")
    Path apiKeyFile;

    @Option(names = "--make-key", paramLabel = "FILE", description = "Write a new random API key (64 hex characters) to "
            + "FILE, readable by you only, and stop; then serve with --api-key-file FILE. An existing FILE is not replaced.")
    Path makeKey;

    @Option(names = "--audit-log", description = "Append two JSON lines per /v1 request to this file (created 0600), at "
            + "its start and its end: time, request id, principal (the key's id, never the key), client address, SHA-256 "
            + "of the upload, model hash, result, latency (never pixels or file names).")
    Path auditLog;

    @Option(names = "--audit-max-bytes", defaultValue = "67108864", description = "Rotate the audit log when it would "
            + "grow past this size: FILE becomes FILE.1, FILE.1 FILE.2, ... (default: ${DEFAULT-VALUE}, 64 MiB).")
    long auditMaxBytes;

    @Option(names = "--audit-keep-files", defaultValue = "10", description = "Rotated audit logs kept; the oldest is "
            + "deleted (default: ${DEFAULT-VALUE}).")
    int auditKeepFiles;

    @Option(names = "--allowed-hosts", split = ",", paramLabel = "HOST", description = "Host header names answered "
            + "(port ignored), comma-separated; '*' for any; others get 421. Default: 127.0.0.1, localhost and [::1] "
            + "on a loopback --host (against DNS rebinding), any name on another: name yours on a public bind.")
    List<String> allowedHosts = new ArrayList<>();

    @Option(names = "--trusted-proxies", split = ",", paramLabel = "ADDR", description = "Addresses (IP literals, "
            + "comma-separated) of reverse proxies in front of the service: on a request from one of them the client "
            + "is the right-most X-Forwarded-For entry that is not itself a trusted proxy, for the wrong-key limit and "
            + "the access and audit logs. Default: none, X-Forwarded-For is ignored and the client is the peer.")
    List<String> trustedProxies = new ArrayList<>();

    @Option(names = "--model-details", description = "Let GET /v1/model tell the training command's file paths, "
            + "the teacher's path and the Java, DJL, PyTorch and OS versions (off by default: an admin's choice).")
    boolean modelDetails;

    @Option(names = "--access-log", description = "Append the access log to this file (default: standard error).")
    Path accessLog;

    @Option(names = "--threads", description = "Engine threads (default: all cores).")
    Integer threads;

    /** Refuses an option's value under 1 with a one-line error naming both. */
    private static void atLeastOne(String option, long value) {
        if (value < 1) {
            throw new BadInputException(option + " must be at least 1, got " + value);
        }
    }

    @Override
    public Integer call() throws IOException, InterruptedException {
        if (makeKey != null) {
            String id = ApiKey.make(makeKey);
            PrintWriter out = spec.commandLine().getOut();
            out.printf("wrote a new API key (%s) to %s, readable by you only; serve with --api-key-file %s%n", id, makeKey,
                    makeKey);
            out.flush();
            return 0;
        }
        if (registry != null) {
            if (model != null) {
                throw new BadInputException("--model and --registry both name the model to serve; give one of them");
            }
            model = RegistryCommand.promotedFolder(registry);
        }
        if (model == null) {
            throw new ParameterException(spec.commandLine(), "Missing required option: '--model=<model>'");
        }
        if (auditMaxBytes < 1 || auditKeepFiles < 1) {
            throw new BadInputException("--audit-max-bytes and --audit-keep-files must be at least 1; got " + auditMaxBytes
                    + ", " + auditKeepFiles);
        }
        if (workers < 1 || maxInFlight < 1 || maxUploadMb < 1 || port < 0 || port > 65535) {
            throw new BadInputException("--workers, --max-in-flight and --max-upload-mb must be at least 1, "
                    + "--port in 0..65535; got " + workers + ", " + maxInFlight + ", " + maxUploadMb + ", " + port);
        }
        atLeastOne("--max-pixels", maxPixels == null ? 1 : maxPixels);
        atLeastOne("--memory-budget-mb", memoryBudgetMb == null ? 1 : memoryBudgetMb);
        atLeastOne("--min-upload-bytes-per-second", minUploadBytesPerSecond);
        atLeastOne("--failed-auth-per-minute", failedAuthPerMinute);
        if (memoryBudgetMb != null && memoryBudgetMb > Long.MAX_VALUE >> 20) {
            throw new BadInputException("--memory-budget-mb: " + memoryBudgetMb + " is too large; give MiB, e.g. 2048");
        }
        if (requestTimeoutSeconds < 1) {
            throw new BadInputException("--request-timeout-seconds must be at least 1, got " + requestTimeoutSeconds);
        }
        for (String name : allowedHosts) {
            if (name.isBlank() || name.contains("/")) {
                throw new BadInputException("--allowed-hosts: '" + name + "' is no host name; give names such as "
                        + "xray.example.org,127.0.0.1 or '*'");
            }
        }
        ApiKey key = apiKeyFile == null ? null : ApiKey.fromFile(apiKeyFile);
        String exposed = apiKeyFile == null ? null : ApiKey.exposureWarning(apiKeyFile);
        if (exposed != null) {
            spec.commandLine().getErr().println("warning: " + exposed);
        }
        EngineThreads.set(threads == null ? 0 : threads);
        PrintStream log = accessLog == null ? System.err : new PrintStream(new FileOutputStream(accessLog.toFile(), true), true);
        ModelPool pool = new ModelPool(model, workers, 30_000);
        Server server;
        Server.Settings settings;
        try {
            settings = new Server.Settings(host, port, (long) maxUploadMb << 20, maxPixels == null ? 0 : maxPixels,
                    maxInFlight, minConfidence, Duration.ofSeconds(requestTimeoutSeconds), key,
                    auditLog == null ? null : new AuditLog.Options(auditLog, auditMaxBytes, auditKeepFiles),
                    allowedHosts, modelDetails, trustedProxies, memoryBudgetMb == null ? 0 : memoryBudgetMb << 20,
                    minUploadBytesPerSecond, failedAuthPerMinute);
            server = Server.start(pool, settings, log);
        } catch (BadInputException e) {
            pool.close();
            throw e;
        } catch (RuntimeException e) {
            pool.close();
            throw new BadInputException(host + ":" + port + ": cannot start the server (" + e.getMessage()
                    + "); choose another --port or --host", e);
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            pool.close();
            stopped.countDown();
        }, "shutdown"));
        PrintWriter out = spec.commandLine().getOut();
        out.printf("serving model %s (%s) at http://%s:%d/ with %d workers%s%s; memory budget %d MiB, max pixels %d; "
                        + "Ctrl-C stops%n", pool.card().id(), pool.card().architecture(), host, server.port(), workers,
                key == null ? "" : ", API key " + key.id() + " required on /v1", auditLog == null ? "" : ", audit log " + auditLog,
                Server.memoryBudgetBytes(settings) >> 20, Server.maxPixels(settings, pool));
        out.flush();
        stopped.await();
        return 0;
    }
}
