package io.pneuknow.serve;

import static org.assertj.core.api.Assertions.assertThat;

import io.pneuknow.cli.Main;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import io.pneuknow.bench.ProcMemory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The resident-memory ceiling stated in docs/benchmarks.md ("The resident-memory ceiling of a server"), checked on
 * {@code pneuknow serve} in child JVMs in its ceiling configuration while the probes run against it
 * concurrently with normal traffic for {@value #RUN_SECONDS} s: eight concurrent uploads of a 6000x6000 PNG, an upload
 * at 100 bytes a second, broken multipart bodies, and on a second server ({@code --max-in-flight 1
 * --request-timeout-seconds 1}) eight concurrent huge PNGs timing out. The children's VmRSS is sampled every 100 ms
 * and their VmHWM read at the end; both stay under the ceiling, every normal request gets 200, and no answer is a 5xx
 * other than the intended 503s.
 */
@Tag("heavy")
class ServeCeilingTest {
    static final int RUN_SECONDS = 25;
    /** docs/benchmarks.md: 512 + 256 + 192 + 256 + 2 x 64 MiB. */
    static final long CEILING_MIB = 1344;
    /** docs/benchmarks.md: the timeout server, one worker: 512 + 256 + 192 + 256 + 64 MiB. */
    static final long TIMEOUT_CEILING_MIB = 1280;
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @TempDir
    Path dir;

    /** A {@code pneuknow serve} in a child JVM, with its port. */
    record Child(Process process, int port) implements AutoCloseable {
        long pid() {
            return process.pid();
        }

        @Override
        public void close() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }

    static Child serve(Path model, Path log, String... options) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "serve", "--model", model.toString(), "--port", "0", "--threads", "2", "--memory-budget-mb", "256",
                "--max-pixels", "40000000", "--access-log", log.toString()));
        command.addAll(List.of(options));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("OMP_WAIT_POLICY", "PASSIVE");
        Process process = builder.start();
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        Pattern serving = Pattern.compile("at http://127\\.0\\.0\\.1:(\\d+)/");
        StringBuilder seen = new StringBuilder();
        for (String line = out.readLine(); line != null; line = out.readLine()) {
            seen.append(line).append('\n');
            Matcher m = serving.matcher(line);
            if (m.find()) {
                Thread drain = new Thread(() -> {
                    try {
                        while (out.readLine() != null) {
                            // keep the child's output from blocking it
                        }
                    } catch (IOException ignored) {
                        // the child ended
                    }
                }, "drain");
                drain.setDaemon(true);
                drain.start();
                return new Child(process, Integer.parseInt(m.group(1)));
            }
        }
        throw new IllegalStateException("serve did not start:\n" + seen);
    }

    /** A {@code /proc/PID/status} field in KiB; -1 once the process is gone. */
    static long status(long pid, String field) {
        return ProcMemory.statusKb(String.valueOf(pid), field);
    }

    static HttpRequest post(int port, String path, String contentType, byte[] body) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(90))
                .header("Content-Type", contentType).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
    }

    /** Answers by kind of request: "status code" -> count. */
    static final class Tally {
        final Map<String, Map<String, AtomicLong>> byKind = new ConcurrentHashMap<>();

        void add(String kind, String answer) {
            byKind.computeIfAbsent(kind, k -> new ConcurrentHashMap<>()).computeIfAbsent(answer, a -> new AtomicLong())
                    .incrementAndGet();
        }

        Map<String, Long> of(String kind) {
            Map<String, Long> out = new TreeMap<>();
            byKind.getOrDefault(kind, Map.of()).forEach((k, v) -> out.put(k, v.get()));
            return out;
        }
    }

    /** Status and error code of an answer, e.g. {@code 200} or {@code 503 timeout}. */
    static String answer(HttpResponse<String> response) {
        Matcher code = Pattern.compile("\"code\"\\s*:\\s*\"([a-z_]+)\"").matcher(response.body());
        return response.statusCode() + (response.statusCode() != 200 && code.find() ? " " + code.group(1) : "");
    }

    @Test
    void theServersRssStaysUnderTheStatedCeilingUnderTheProbesWithNormalTrafficServed() throws Exception {
        TinyModel tiny = TinyModel.shared();
        byte[] normal = Files.readAllBytes(tiny.image(2));
        byte[] huge = ServerBoundsTest.greyPng(6000);
        Tally tally = new Tally();
        long[] peakRss = new long[2];
        try (Child main = serve(tiny.model(), dir.resolve("main.log"), "--workers", "2", "--max-in-flight", "16");
             Child timing = serve(tiny.model(), dir.resolve("timeout.log"), "--workers", "1", "--max-in-flight", "1",
                     "--request-timeout-seconds", "1")) {
            long startRss = status(main.pid(), "VmRSS");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(RUN_SECONDS);
            Supplier<Boolean> running = () -> System.nanoTime() < deadline;
            ExecutorService threads = Executors.newCachedThreadPool();
            List<Future<?>> jobs = new ArrayList<>();
            jobs.add(threads.submit(() -> { // RSS of both children every 100 ms
                while (running.get()) {
                    peakRss[0] = Math.max(peakRss[0], status(main.pid(), "VmRSS"));
                    peakRss[1] = Math.max(peakRss[1], status(timing.pid(), "VmRSS"));
                    Thread.sleep(100);
                }
                return null;
            }));
            for (int i = 0; i < 2; i++) { // normal traffic: predict and explain of an ordinary image
                String path = i == 0 ? "/v1/predict" : "/v1/explain?format=json";
                jobs.add(threads.submit(() -> {
                    while (running.get()) {
                        tally.add("normal", answer(HTTP.send(post(main.port(), path, "multipart/form-data; boundary=b0undary",
                                ServerBoundsTest.multipart("b0undary", normal, 0)), HttpResponse.BodyHandlers.ofString())));
                        Thread.sleep(50);
                    }
                    return null;
                }));
            }
            for (int i = 0; i < 8; i++) { // eight concurrent 6000x6000 PNGs on each server
                for (Child child : List.of(main, timing)) {
                    String kind = child == main ? "huge" : "huge, 1 s timeout";
                    jobs.add(threads.submit(() -> {
                        while (running.get()) {
                            tally.add(kind, answer(HTTP.send(post(child.port(), "/v1/predict",
                                    "multipart/form-data; boundary=b0undary", ServerBoundsTest.multipart("b0undary", huge, 0)),
                                    HttpResponse.BodyHandlers.ofString())));
                        }
                        return null;
                    }));
                }
            }
            jobs.add(threads.submit(() -> { // an upload at 100 bytes a second, again and again
                while (running.get()) {
                    String raw = ServerBoundsTest.slowUpload(main.port(), ServerBoundsTest.multipart("sl0w", normal, 3_000), 100);
                    tally.add("slow", raw.isEmpty() ? "closed" : raw.substring(9, 12));
                }
                return null;
            }));
            jobs.add(threads.submit(() -> { // broken multipart bodies
                byte[] unclosed = new String(ServerBoundsTest.multipart("b0undary", normal, 0), StandardCharsets.ISO_8859_1)
                        .replace("--b0undary--\r\n", "").getBytes(StandardCharsets.ISO_8859_1);
                byte[] longName = new String(ServerBoundsTest.multipart("b0undary", normal, 0), StandardCharsets.ISO_8859_1)
                        .replace("x.png", "x".repeat(1200) + ".png").getBytes(StandardCharsets.ISO_8859_1);
                while (running.get()) {
                    tally.add("no boundary", answer(HTTP.send(post(main.port(), "/v1/predict", "multipart/form-data",
                            ServerBoundsTest.multipart("b0undary", normal, 0)), HttpResponse.BodyHandlers.ofString())));
                    tally.add("unclosed", answer(HTTP.send(post(main.port(), "/v1/predict",
                            "multipart/form-data; boundary=b0undary", unclosed), HttpResponse.BodyHandlers.ofString())));
                    tally.add("long name", answer(HTTP.send(post(main.port(), "/v1/predict",
                            "multipart/form-data; boundary=b0undary", longName), HttpResponse.BodyHandlers.ofString())));
                    Thread.sleep(200);
                }
                return null;
            }));
            for (Future<?> job : jobs) {
                job.get(RUN_SECONDS + 120, TimeUnit.SECONDS);
            }
            threads.shutdown();
            long hwm = status(main.pid(), "VmHWM");
            long timingHwm = status(timing.pid(), "VmHWM");
            System.out.printf("ceiling test: main server VmRSS %d MiB at start, sampled peak %d MiB, VmHWM %d MiB "
                            + "(ceiling %d MiB); timeout server sampled peak %d MiB, VmHWM %d MiB (ceiling %d MiB); answers %s%n",
                    startRss >> 10, peakRss[0] >> 10, hwm >> 10, CEILING_MIB, peakRss[1] >> 10, timingHwm >> 10,
                    TIMEOUT_CEILING_MIB, tally.byKind.keySet().stream().sorted().map(k -> k + " " + tally.of(k)).toList());

            assertThat(hwm >> 10).as("main server's peak RSS (VmHWM), MiB").isLessThan(CEILING_MIB)
                    .isGreaterThanOrEqualTo(peakRss[0] >> 10);
            assertThat(timingHwm >> 10).as("timeout server's peak RSS (VmHWM), MiB").isLessThan(TIMEOUT_CEILING_MIB);
            assertThat(tally.of("normal")).as("normal requests").containsOnlyKeys("200");
            assertThat(tally.of("normal").get("200")).isGreaterThan(10);
            assertThat(tally.of("huge")).as("6000x6000 PNGs, read subsampled").containsOnlyKeys("200");
            assertThat(tally.of("huge, 1 s timeout").keySet()).as("only the intended 503s")
                    .isSubsetOf("200", "503 busy", "503 timeout").contains("503 timeout");
            assertThat(tally.of("slow")).as("cut at the minimum rate").containsOnlyKeys("408");
            assertThat(tally.of("no boundary")).containsOnlyKeys("400 bad_multipart");
            assertThat(tally.of("unclosed")).containsOnlyKeys("400 bad_multipart");
            assertThat(tally.of("long name").keySet()).allMatch(a -> a.startsWith("4"));
        }
    }
}
