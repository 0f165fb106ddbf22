package io.pneuknow.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.pneuknow.Json;
import io.pneuknow.guard.OutOfScopeImages;
import io.pneuknow.image.ImageFiles;
import io.pneuknow.model.ModelBundle;
import io.pneuknow.report.LineChart;
import io.pneuknow.serve.ApiKey;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;

/**
 * A bounded soak run of the HTTP service (issue 19, item 4): {@code pneuknow serve} in a child JVM in the
 * <em>soak configuration</em> ({@link #SERVE_OPTIONS}, the ceiling configuration of docs/benchmarks.md plus an API key,
 * an audit log and a trusted proxy), driven for a set time by a mixed load at modest concurrency, killed with SIGKILL
 * half way and restarted on the same port with the same audit log. Its VmRSS is sampled every
 * {@link Settings#sampleEvery()}; at the end the answers by kind of request, the 5xx, the latency of the good
 * requests, the RSS against {@link #CEILING_MIB}, the outage and the audit log's integrity are summed up.
 *
 * <p>The load, each kind in a loop of its own: good uploads (PNG, JPEG, DICOM; predictions and heat maps) from
 * {@link #GOOD_CLIENTS} threads; a 6000x6000 PNG (about 50 KB) from two threads; broken files, bad multipart bodies
 * and wrong keys from one thread (the wrong keys from a forwarded address, so that their rate limit does not lock out
 * the good clients); an upload at 100 bytes a second from one thread.
 */
public final class ServeSoak {
    /** The ceiling of the soak configuration in MiB, docs/benchmarks.md: 512 + 256 + 192 + 256 + 2 x 64. */
    public static final long CEILING_MIB = 1344;
    /** The child JVM's heap, the Xmx term of the ceiling. */
    public static final String HEAP = "-Xmx512m";
    /** The serve options of the soak configuration (besides the model, port, key and log files). */
    public static final List<String> SERVE_OPTIONS = List.of("--workers", "2", "--threads", "2", "--max-in-flight", "16",
            "--memory-budget-mb", "256", "--max-pixels", "40000000", "--request-timeout-seconds", "30",
            "--trusted-proxies", "127.0.0.1");
    /** The command line's main class (named, as bench does not depend on cli). */
    static final String SERVE_MAIN = "io.pneuknow.cli.Main";
    /** Threads sending good uploads. */
    public static final int GOOD_CLIENTS = 3;
    /** 503s the service means to give under load: busy, timed out, memory budget taken. */
    public static final Set<String> INTENDED_503 = Set.of("503 busy", "503 timeout", "503 memory_busy");
    /** Kinds of request whose 200 answers are the good requests of the latency figures. */
    static final List<String> GOOD_KINDS = List.of("png predict", "jpeg predict", "dicom predict", "png explain",
            "dicom explain");

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private static final String BOUNDARY = "s0ak-b0undary";

    private ServeSoak() {
    }

    /**
     * What to run.
     *
     * @param model the model directory served
     * @param length how long the load runs; the kill comes at half of it
     * @param out folder for the audit and access logs, rss.csv, rss.svg (and rss.png), summary.json and summary.md
     * @param sampleEvery how often the server's VmRSS is read
     */
    public record Settings(Path model, Duration length, Path out, Duration sampleEvery) {
    }

    /** One reading of the server's resident memory. */
    public record RssSample(double seconds, int server, long pid, long rssKib) {
    }

    /**
     * The audit log read back.
     *
     * @param lines lines in the file(s), rotated ones included
     * @param unparsable lines that are not a JSON object with an event; at most one is allowed, left by the kill
     * @param unparsableAtKill whether every unparsable line lies where the first server's lines end
     * @param starts start lines
     * @param ends end lines
     * @param unmatchedStarts starts without an end (requests in flight at the kill)
     * @param unmatchedStartsBeforeKill whether all of them came before the kill
     * @param endsWithoutStart ends without a start (must be none)
     */
    public record AuditCheck(int lines, int unparsable, boolean unparsableAtKill, int starts, int ends,
                             int unmatchedStarts, boolean unmatchedStartsBeforeKill, int endsWithoutStart) {
        /** Every line whole and paired but for what the kill may leave: one half line, starts of the requests then in flight. */
        public boolean intact(int inFlightBound) {
            return unparsable <= 1 && unparsableAtKill && endsWithoutStart == 0 && unmatchedStarts <= inFlightBound
                    && unmatchedStartsBeforeKill && starts > 0;
        }
    }

    /**
     * The outcome of a soak run.
     *
     * @param answers by kind of request: answer ({@code 200}, {@code 400 bad_multipart}, {@code no answer (outage)}, ...)
     *                -> count
     * @param unexpected answers outside their kind's expected set (see {@link #expected})
     * @param serverErrors 5xx answers other than {@link #INTENDED_503}
     * @param intended503 the intended 503s
     * @param outageSeconds from the kill to the first 200 of {@code GET /health} on the restarted server
     * @param restartSeconds from the kill to the restarted server's "serving" line
     * @param servedAfterRestart good requests answered 200 by the restarted server
     * @param peakRssMib the larger VmHWM of the two servers
     * @param plateauMib per server, the median VmRSS of its last third of samples
     */
    public record Summary(String configuration, double seconds, Map<String, Map<String, Long>> answers, long requests,
                          long unexpected, long serverErrors, long intended503, long goodRequests, double goodP50Ms,
                          double goodP95Ms, double outageSeconds, double restartSeconds, long servedAfterRestart,
                          long[] peakRssMib, long[] plateauMib, long ceilingMib, AuditCheck audit, int inFlightBound) {
        /** No 5xx but the intended 503s, every answer expected, the RSS under the ceiling, the audit log intact, served again after the kill. */
        public boolean passed() {
            return serverErrors == 0 && unexpected == 0 && Math.max(peakRssMib[0], peakRssMib[1]) < ceilingMib
                    && audit.intact(inFlightBound) && servedAfterRestart > 0;
        }
    }

    /** The answers a kind of request may get; anything else is unexpected. */
    static boolean expected(String kind, String answer) {
        if (answer.equals("no answer (outage)") || INTENDED_503.contains(answer)) {
            return true;
        }
        return switch (kind) {
            case "png predict", "jpeg predict", "dicom predict", "png explain", "dicom explain", "huge png" ->
                    answer.equals("200");
            case "truncated png", "garbage png" -> answer.startsWith("400") || answer.startsWith("415");
            case "no boundary", "unclosed body", "long file name", "two image parts" -> answer.startsWith("400");
            case "wrong key" -> answer.startsWith("401") || answer.startsWith("429");
            case "slow upload" -> answer.equals("408");
            default -> false;
        };
    }

    /** The child's command line for port {@code port}. */
    static List<String> serveCommand(Settings settings, int port, Path key) {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                HEAP, "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"), SERVE_MAIN, "serve",
                "--model", settings.model().toString(), "--port", Integer.toString(port), "--api-key-file", key.toString(),
                "--audit-log", settings.out().resolve("audit.jsonl").toString(), "--access-log",
                settings.out().resolve("access.log").toString()));
        command.addAll(SERVE_OPTIONS);
        return command;
    }

    /** The configuration as one line, for the summary. */
    static String configuration() {
        return "java " + HEAP + " ... serve " + String.join(" ", SERVE_OPTIONS) + " --api-key-file KEY --audit-log FILE"
                + " (ceiling " + CEILING_MIB + " MiB)";
    }

    /** A started child server. */
    private record Child(Process process, int port) {
    }

    private static Child start(Settings settings, int port, Path key, Path console) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(serveCommand(settings, port, key)).redirectErrorStream(true);
        builder.environment().put("OMP_WAIT_POLICY", "PASSIVE");
        Process process = builder.start();
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        Pattern serving = Pattern.compile("at http://127\\.0\\.0\\.1:(\\d+)/");
        StringBuilder seen = new StringBuilder();
        for (String line = out.readLine(); line != null; line = out.readLine()) {
            seen.append(line).append('\n');
            Matcher m = serving.matcher(line);
            if (m.find()) {
                Files.writeString(console, seen, StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE,
                        java.nio.file.StandardOpenOption.APPEND);
                Thread drain = new Thread(() -> {
                    try (OutputStream log = Files.newOutputStream(console, java.nio.file.StandardOpenOption.APPEND)) {
                        for (String more = out.readLine(); more != null; more = out.readLine()) {
                            log.write((more + "\n").getBytes(StandardCharsets.UTF_8));
                        }
                    } catch (IOException ignored) {
                        // the child ended
                    }
                }, "serve-output");
                drain.setDaemon(true);
                drain.start();
                return new Child(process, Integer.parseInt(m.group(1)));
            }
        }
        throw new IllegalStateException("serve did not start:\n" + seen);
    }

    /** What the clients send: the request bodies, made once. */
    private record Inputs(byte[] png, byte[] jpeg, byte[] dicom, byte[] huge, byte[] truncated, byte[] garbage) {
        static Inputs make(Path model, Path work) throws IOException {
            int size = ModelBundle.readCard(model).preprocessing().inputSize();
            byte[] png = ServeLoad.syntheticImages(work, size, 1).get(0);
            Path pngFile = work.resolve("good.png");
            Files.write(pngFile, png);
            BufferedImage image = ImageIO.read(pngFile.toFile());
            BufferedImage grey = new BufferedImage(image.getWidth(), image.getHeight(), BufferedImage.TYPE_BYTE_GRAY);
            grey.getGraphics().drawImage(image, 0, 0, null);
            ByteArrayOutputStream jpeg = new ByteArrayOutputStream();
            ImageIO.write(grey, "jpeg", jpeg);
            byte[] dicom = OutOfScopeImages.dicom(ImageFiles.read(pngFile), "PA");
            byte[] garbage = new byte[4096];
            new Random(19).nextBytes(garbage);
            return new Inputs(png, jpeg.toByteArray(), dicom, hugePng(6000), java.util.Arrays.copyOf(png, png.length / 2),
                    garbage);
        }
    }

    /** A grey PNG of side x side pixels that compresses to a few tens of KB (as ServerBoundsTest's). */
    static byte[] hugePng(int side) throws IOException {
        BufferedImage image = new BufferedImage(side, side, BufferedImage.TYPE_BYTE_GRAY);
        byte[] pixels = ((DataBufferByte) image.getRaster().getDataBuffer()).getData();
        for (int y = 0; y < side; y++) {
            for (int x = 0; x < side; x++) {
                boolean square = x > side / 3 && x < 2 * side / 3 && y > side / 3 && y < 2 * side / 3;
                pixels[y * side + x] = (byte) (square ? 230 : 40 + 120 * y / side);
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "png", out);
        return out.toByteArray();
    }

    /** A multipart body with the file as part {@code image} named {@code fileName}, {@code copies} times. */
    static byte[] multipart(byte[] file, String fileName, int copies, boolean closed) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (int i = 0; i < copies; i++) {
            body.writeBytes(("--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"image\"; filename=\"" + fileName
                    + "\"\r\nContent-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.UTF_8));
            body.writeBytes(file);
            body.writeBytes("\r\n".getBytes(StandardCharsets.UTF_8));
        }
        if (closed) {
            body.writeBytes(("--" + BOUNDARY + "--\r\n").getBytes(StandardCharsets.UTF_8));
        }
        return body.toByteArray();
    }

    /** The state shared by the load threads. */
    private static final class Load {
        final long startNanos = System.nanoTime();
        final Map<String, Map<String, AtomicLong>> answers = new ConcurrentHashMap<>();
        final List<Double> goodMillis = Collections.synchronizedList(new ArrayList<>());
        final AtomicLong servedAfterRestart = new AtomicLong();
        final String key;
        volatile int port;
        volatile long killedAt = Long.MAX_VALUE;
        volatile long backAt = Long.MAX_VALUE;
        volatile boolean running = true;

        Load(String key, int port) {
            this.key = key;
            this.port = port;
        }

        void add(String kind, String answer) {
            answers.computeIfAbsent(kind, k -> new ConcurrentHashMap<>()).computeIfAbsent(answer, a -> new AtomicLong())
                    .incrementAndGet();
        }

        /** A failure to get an answer: part of the outage when it ended after the kill and began before the server was back. */
        String noAnswer(long began, long ended, Exception e) {
            return ended >= killedAt && began <= backAt ? "no answer (outage)"
                    : "no answer (" + e.getClass().getSimpleName() + ")";
        }

        double seconds() {
            return (System.nanoTime() - startNanos) / 1e9;
        }

        /** Posts {@code body} to {@code route} and tallies the answer under {@code kind}; the latency of good 200s is kept. */
        void post(String kind, String route, String contentType, byte[] body, String key, String forwardedFor)
                throws InterruptedException {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + route))
                    .timeout(Duration.ofSeconds(90)).header("Content-Type", contentType)
                    .header("Authorization", "Bearer " + key).POST(HttpRequest.BodyPublishers.ofByteArray(body));
            if (forwardedFor != null) {
                request.header("X-Forwarded-For", forwardedFor);
            }
            long t0 = System.nanoTime();
            try {
                HttpResponse<String> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
                String answer = answer(response.statusCode(), response.body());
                add(kind, answer);
                if (answer.equals("200") && GOOD_KINDS.contains(kind)) {
                    goodMillis.add((System.nanoTime() - t0) / 1e6);
                    if (t0 > killedAt) {
                        servedAfterRestart.incrementAndGet();
                    }
                }
            } catch (IOException e) {
                add(kind, noAnswer(t0, System.nanoTime(), e));
            }
        }
    }

    /** Status and error code of an answer, e.g. {@code 200} or {@code 503 timeout}. */
    static String answer(int status, String body) {
        Matcher code = Pattern.compile("\"code\"\\s*:\\s*\"([a-z_]+)\"").matcher(body);
        return status + (status != 200 && code.find() ? " " + code.group(1) : "");
    }

    /** An upload of {@code body} at {@code bytesPerSecond} over a raw socket; the status code of the answer, "" for none. */
    static String slowUpload(int port, String key, byte[] body, int bytesPerSecond) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(60_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + key
                    + "\r\nContent-Type: multipart/form-data; boundary=" + BOUNDARY + "\r\nContent-Length: " + body.length
                    + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            int chunk = Math.max(1, bytesPerSecond / 10);
            InputStream in = socket.getInputStream();
            try {
                for (int at = 0; at < body.length && in.available() == 0; at += chunk) {
                    out.write(body, at, Math.min(chunk, body.length - at));
                    out.flush();
                    Thread.sleep(100);
                }
            } catch (IOException | InterruptedException e) {
                // the server cut the upload: read its answer
            }
            socket.shutdownOutput();
            String raw = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
            return raw.length() >= 12 ? raw.substring(9, 12) : "";
        }
    }

    /** Runs the soak and writes its files under {@code settings.out()}; progress lines go to {@code log}. */
    public static Summary run(Settings settings, PrintWriter log) throws IOException, InterruptedException {
        Files.createDirectories(settings.out());
        Path work = Files.createTempDirectory("pneuknow-soak");
        Path keyFile = settings.out().resolve("serve.key");
        Files.deleteIfExists(keyFile);
        ApiKey.make(keyFile);
        String key = Files.readAllLines(keyFile).get(0).trim();
        Path console = settings.out().resolve("serve-output.txt");
        Files.deleteIfExists(console);
        for (String name : List.of("audit.jsonl", "access.log")) {
            Files.deleteIfExists(settings.out().resolve(name));
        }
        Inputs inputs = Inputs.make(settings.model(), work);
        List<RssSample> samples = Collections.synchronizedList(new ArrayList<>());
        long[] peak = new long[2];
        Child first = start(settings, 0, keyFile, console);
        Load load = new Load(key, first.port());
        long[] pid = {first.process().pid()};
        int[] server = {0};
        log.printf("soak: serving on port %d (pid %d); %s for %s%n", first.port(), pid[0], configuration(), settings.length());
        log.flush();
        ExecutorService threads = Executors.newCachedThreadPool();
        List<Future<?>> jobs = new ArrayList<>();
        jobs.add(threads.submit(() -> {
            while (load.running) {
                long kib = ProcMemory.statusKb(String.valueOf(pid[0]), "VmRSS");
                if (kib > 0) {
                    samples.add(new RssSample(load.seconds(), server[0] + 1, pid[0], kib));
                }
                Thread.sleep(settings.sampleEvery().toMillis());
            }
            return null;
        }));
        String json = "multipart/form-data; boundary=" + BOUNDARY;
        for (int t = 0; t < GOOD_CLIENTS; t++) {
            int offset = t;
            jobs.add(threads.submit(() -> {
                for (int i = offset; load.running; i++) {
                    switch (i % 5) {
                        case 0 -> load.post("png predict", "/v1/predict", json, multipart(inputs.png(), "a.png", 1, true), key, null);
                        case 1 -> load.post("jpeg predict", "/v1/predict", json, multipart(inputs.jpeg(), "a.jpg", 1, true), key, null);
                        case 2 -> load.post("dicom predict", "/v1/predict", json, multipart(inputs.dicom(), "a.dcm", 1, true), key, null);
                        case 3 -> load.post("png explain", "/v1/explain?format=json", json, multipart(inputs.png(), "a.png", 1, true), key, null);
                        default -> load.post("dicom explain", "/v1/explain?format=json", json, multipart(inputs.dicom(), "a.dcm", 1, true), key, null);
                    }
                    Thread.sleep(100);
                }
                return null;
            }));
        }
        for (int t = 0; t < 2; t++) {
            jobs.add(threads.submit(() -> {
                while (load.running) {
                    load.post("huge png", "/v1/predict", json, multipart(inputs.huge(), "huge.png", 1, true), key, null);
                    Thread.sleep(500);
                }
                return null;
            }));
        }
        jobs.add(threads.submit(() -> {
            byte[] good = multipart(inputs.png(), "a.png", 1, true);
            for (int i = 0; load.running; i++) {
                switch (i % 7) {
                    case 0 -> load.post("truncated png", "/v1/predict", json, multipart(inputs.truncated(), "t.png", 1, true), key, null);
                    case 1 -> load.post("garbage png", "/v1/predict", json, multipart(inputs.garbage(), "g.png", 1, true), key, null);
                    case 2 -> load.post("no boundary", "/v1/predict", "multipart/form-data", good, key, null);
                    case 3 -> load.post("unclosed body", "/v1/predict", json, multipart(inputs.png(), "a.png", 1, false), key, null);
                    case 4 -> load.post("long file name", "/v1/predict", json,
                            multipart(inputs.png(), "x".repeat(1200) + ".png", 1, true), key, null);
                    case 5 -> load.post("two image parts", "/v1/predict", json, multipart(inputs.png(), "a.png", 2, true), key, null);
                    default -> load.post("wrong key", "/v1/predict", json, good, "f".repeat(64), "198.51.100.7");
                }
                Thread.sleep(200);
            }
            return null;
        }));
        jobs.add(threads.submit(() -> {
            byte[] body = multipart(inputs.png(), "slow.png", 1, true);
            while (load.running) {
                long t0 = System.nanoTime();
                try {
                    String status = slowUpload(load.port, key, body, 100);
                    load.add("slow upload", status.isEmpty() ? load.noAnswer(t0, System.nanoTime(), new IOException()) : status);
                } catch (IOException e) {
                    load.add("slow upload", load.noAnswer(t0, System.nanoTime(), e));
                    Thread.sleep(200);
                }
            }
            return null;
        }));

        long lengthNanos = settings.length().toNanos();
        sleepUntil(load.startNanos + lengthNanos / 2, jobs);
        peak[0] = ProcMemory.statusKb(String.valueOf(first.process().pid()), "VmHWM");
        long killed = System.nanoTime();
        Instant killInstant = Instant.now();
        load.killedAt = killed;
        first.process().destroyForcibly(); // SIGKILL on Linux
        first.process().waitFor();
        log.printf("soak: killed pid %d (kill -9) at %.1f s; VmHWM %d MiB%n", pid[0], load.seconds(), peak[0] >> 10);
        log.flush();
        Child second = start(settings, first.port(), keyFile, console);
        double restartSeconds = (System.nanoTime() - killed) / 1e9;
        server[0] = 1;
        pid[0] = second.process().pid();
        HttpClient health = HttpClient.newHttpClient();
        for (;;) {
            try {
                if (health.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + first.port() + "/health")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    break;
                }
            } catch (IOException e) {
                Thread.sleep(20);
            }
        }
        load.backAt = System.nanoTime();
        double outageSeconds = (load.backAt - killed) / 1e9;
        log.printf("soak: restarted as pid %d, answering again %.1f s after the kill%n", pid[0], outageSeconds);
        log.flush();

        sleepUntil(load.startNanos + lengthNanos, jobs);
        load.running = false;
        threads.shutdown();
        for (Future<?> job : jobs) {
            try {
                job.get(120, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                throw new IllegalStateException("a load thread failed: " + e, e);
            }
        }
        double seconds = load.seconds();
        peak[1] = ProcMemory.statusKb(String.valueOf(second.process().pid()), "VmHWM");
        second.process().destroy();
        if (!second.process().waitFor(30, TimeUnit.SECONDS)) {
            second.process().destroyForcibly();
        }
        deleteTree(work);

        Summary summary = summarise(settings, load, seconds, samples, peak, outageSeconds, restartSeconds,
                checkAudit(settings.out().resolve("audit.jsonl"), killInstant));
        writeFiles(settings.out(), samples, summary);
        return summary;
    }

    private static void sleepUntil(long nanos, List<Future<?>> jobs) throws InterruptedException {
        while (System.nanoTime() < nanos) {
            for (Future<?> job : jobs) {
                if (job.isDone()) {
                    try {
                        job.get();
                    } catch (java.util.concurrent.ExecutionException e) {
                        throw new IllegalStateException("a load thread failed: " + e.getCause(), e.getCause());
                    }
                    throw new IllegalStateException("a load thread ended early");
                }
            }
            Thread.sleep(Math.max(1, Math.min(500, (nanos - System.nanoTime()) / 1_000_000)));
        }
    }

    private static Summary summarise(Settings settings, Load load, double seconds, List<RssSample> samples, long[] peak,
                                     double outageSeconds, double restartSeconds, AuditCheck audit) {
        Map<String, Map<String, Long>> answers = new TreeMap<>();
        long requests = 0;
        long unexpected = 0;
        long serverErrors = 0;
        long intended = 0;
        for (var kind : load.answers.entrySet()) {
            Map<String, Long> counts = new TreeMap<>();
            for (var answer : kind.getValue().entrySet()) {
                long n = answer.getValue().get();
                counts.put(answer.getKey(), n);
                requests += n;
                if (!expected(kind.getKey(), answer.getKey())) {
                    unexpected += n;
                }
                if (INTENDED_503.contains(answer.getKey())) {
                    intended += n;
                } else if (answer.getKey().startsWith("5")) {
                    serverErrors += n;
                }
            }
            answers.put(kind.getKey(), counts);
        }
        double[] good;
        synchronized (load.goodMillis) {
            good = load.goodMillis.stream().mapToDouble(Double::doubleValue).toArray();
        }
        long[] plateau = new long[2];
        for (int s = 0; s < 2; s++) {
            int server = s + 1;
            double[] rss;
            synchronized (samples) {
                rss = samples.stream().filter(r -> r.server() == server).mapToDouble(RssSample::rssKib).toArray();
            }
            double[] lastThird = java.util.Arrays.copyOfRange(rss, rss.length - Math.min(rss.length,
                    Math.max(1, rss.length / 3)), rss.length);
            plateau[s] = lastThird.length == 0 ? -1 : Math.round(Stats.percentile(lastThird, 50)) >> 10;
        }
        return new Summary(configuration(), seconds, answers, requests, unexpected, serverErrors, intended, good.length,
                Stats.percentile(good, 50), Stats.percentile(good, 95), outageSeconds, restartSeconds,
                load.servedAfterRestart.get(), new long[] {peak[0] >> 10, peak[1] >> 10}, plateau, CEILING_MIB, audit,
                GOOD_CLIENTS + 4);
    }

    /**
     * Reads the audit log (rotated files first, oldest first) and checks it line by line against what a kill -9 at
     * {@code kill} may leave.
     */
    static AuditCheck checkAudit(Path file, Instant kill) throws IOException {
        List<Path> files = new ArrayList<>();
        for (int i = 50; i >= 1; i--) {
            Path rotated = file.resolveSibling(file.getFileName() + "." + i);
            if (Files.exists(rotated)) {
                files.add(rotated);
            }
        }
        files.add(file);
        int lines = 0;
        int unparsable = 0;
        boolean unparsableAtKill = true;
        boolean lookingForNext = false;
        Instant lastBefore = Instant.MIN;
        int starts = 0;
        int ends = 0;
        int endsWithoutStart = 0;
        Map<String, Instant> open = new HashMap<>();
        for (Path f : files) {
            for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
                lines++;
                JsonNode node;
                try {
                    node = Json.MAPPER.readTree(line);
                } catch (IOException e) {
                    node = null;
                }
                if (node == null || !node.isObject() || !node.path("event").isTextual() || !node.path("time").isTextual()) {
                    unparsable++;
                    if (lastBefore.isAfter(kill)) {
                        unparsableAtKill = false; // a half line written after the kill: not the kill's
                    }
                    lookingForNext = true;
                    continue;
                }
                Instant time = Instant.parse(node.path("time").asText());
                if (lookingForNext) {
                    // the line after a half line must come from the restarted server
                    unparsableAtKill &= !time.isBefore(kill);
                    lookingForNext = false;
                }
                lastBefore = time;
                String id = node.path("requestId").asText();
                if (node.path("event").asText().equals("start")) {
                    starts++;
                    open.put(id, time);
                } else if (node.path("event").asText().equals("end")) {
                    ends++;
                    if (open.remove(id) == null) {
                        endsWithoutStart++;
                    }
                } else {
                    unparsable++;
                }
            }
        }
        boolean before = open.values().stream().allMatch(t -> !t.isAfter(kill));
        return new AuditCheck(lines, unparsable, unparsableAtKill, starts, ends, open.size(), before, endsWithoutStart);
    }

    private static void writeFiles(Path out, List<RssSample> samples, Summary summary) throws IOException {
        StringBuilder csv = new StringBuilder("seconds,server,pid,vmrss_mib\n");
        List<RssSample> copy;
        synchronized (samples) {
            copy = new ArrayList<>(samples);
        }
        for (RssSample s : copy) {
            csv.append(String.format(Locale.ROOT, "%.1f,%d,%d,%.1f%n", s.seconds(), s.server(), s.pid(), s.rssKib() / 1024.0));
        }
        Files.writeString(out.resolve("rss.csv"), csv);
        LineChart chart = new LineChart("Server RSS during the soak (kill -9 and restart half way)", "minutes",
                "VmRSS (MiB)").markers(false).size(640, 300).yRange(0, CEILING_MIB * 1.1);
        for (int server = 1; server <= 2; server++) {
            int s = server;
            List<RssSample> part = copy.stream().filter(r -> r.server() == s).toList();
            chart.series(server == 1 ? "first server" : "after the restart",
                    part.stream().mapToDouble(r -> r.seconds() / 60).toArray(),
                    part.stream().mapToDouble(r -> r.rssKib() / 1024.0).toArray());
        }
        chart.reference("ceiling " + CEILING_MIB + " MiB", CEILING_MIB);
        String svg = chart.svg().replaceFirst("<svg ", "<svg xmlns=\"http://www.w3.org/2000/svg\" ");
        Files.writeString(out.resolve("rss.svg"), svg);
        toPng(out.resolve("rss.svg"), out.resolve("rss.png"), svg);
        Files.writeString(out.resolve("summary.md"), markdown(summary));
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("summary", summary);
        json.put("passed", summary.passed());
        Json.MAPPER.writeValue(out.resolve("summary.json").toFile(), json);
    }

    /**
     * The SVG chart as a PNG of its own pixel size, drawn by a headless Chromium ({@code chromium}, {@code
     * chromium-browser} or {@code google-chrome} on the PATH, as the page tests use); false when none is installed or
     * it failed, and the SVG is then the only figure.
     */
    static boolean toPng(Path svg, Path png, String svgText) {
        Matcher size = Pattern.compile("width=\"([0-9.]+)\" height=\"([0-9.]+)\"").matcher(svgText);
        if (!size.find()) {
            return false;
        }
        String window = (int) Math.ceil(Double.parseDouble(size.group(1))) + ","
                + (int) Math.ceil(Double.parseDouble(size.group(2)));
        for (String browser : List.of("chromium", "chromium-browser", "google-chrome")) {
            try {
                Process p = new ProcessBuilder(browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                        "--screenshot=" + png.toAbsolutePath(), "--window-size=" + window,
                        svg.toAbsolutePath().toUri().toString()).redirectErrorStream(true).start();
                p.getInputStream().readAllBytes();
                if (p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0 && Files.isRegularFile(png)) {
                    return true;
                }
            } catch (IOException e) {
                // not installed under this name: try the next
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return false;
    }

    /** The summary as Markdown: the figures, then the answers by kind. */
    public static String markdown(Summary s) {
        StringBuilder out = new StringBuilder();
        AuditCheck a = s.audit();
        out.append(String.format(Locale.ROOT, """
                Soak of %.0f s, %s.

                | figure | value |
                |---|---|
                | requests | %d |
                | 5xx other than the intended 503s | %d |
                | intended 503s (busy, timeout, memory_busy) | %d |
                | answers outside their kind's expected set | %d |
                | good requests answered 200 | %d |
                | good requests p50 / p95 | %.0f / %.0f ms |
                | outage after kill -9 (to GET /health 200) | %.1f s (serving line after %.1f s) |
                | good requests served by the restarted server | %d |
                | peak RSS (VmHWM) first / restarted server | %d / %d MiB |
                | RSS plateau (median of the last third of samples) first / restarted | %d / %d MiB |
                | ceiling | %d MiB |
                | audit lines / unparsable (allowed: 1, at the kill) | %d / %d%s |
                | audit starts / ends / starts without end (in flight at the kill) / ends without start | %d / %d / %d%s / %d |
                | passed | %s |

                | kind of request | answers |
                |---|---|
                """, s.seconds(), s.configuration(), s.requests(), s.serverErrors(), s.intended503(), s.unexpected(),
                s.goodRequests(), s.goodP50Ms(), s.goodP95Ms(), s.outageSeconds(), s.restartSeconds(), s.servedAfterRestart(),
                s.peakRssMib()[0], s.peakRssMib()[1], s.plateauMib()[0], s.plateauMib()[1], s.ceilingMib(), a.lines(),
                a.unparsable(), a.unparsableAtKill() ? "" : " (not at the kill)", a.starts(), a.ends(), a.unmatchedStarts(),
                a.unmatchedStartsBeforeKill() ? "" : " (some after the kill)", a.endsWithoutStart(),
                s.passed() ? "yes" : "no"));
        s.answers().forEach((kind, counts) -> {
            StringBuilder cell = new StringBuilder();
            counts.forEach((answer, n) -> cell.append(cell.length() == 0 ? "" : "; ").append(answer).append(" x ").append(n));
            out.append("| ").append(kind).append(" | ").append(cell).append(" |\n");
        });
        return out.toString();
    }

    private static void deleteTree(Path dir) {
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
