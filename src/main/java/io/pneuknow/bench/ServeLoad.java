package io.pneuknow.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.pneuknow.Json;
import io.pneuknow.data.SyntheticChestXrays;
import io.pneuknow.serve.ModelPool;
import io.pneuknow.serve.Server;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Load on the HTTP service (issue 6): the server started in-process on a free port with a model,
 * requests fired by {@code concurrency} client threads with {@link HttpClient}, each answer checked
 * (status 200, and the same probabilities and heat map as every other answer for the same image).
 * Throughput is completed requests per second of wall time; latency is per request, client side.
 */
public final class ServeLoad {
    /** The routes measured: predictions, and heat maps as JSON (what the web page asks for). */
    public static final List<String> ROUTES = List.of("/v1/predict", "/v1/explain?format=json");

    /**
     * One route's outcome.
     *
     * @param failures answers other than 200, and requests that got no answer
     * @param inconsistent 200 answers that differ from the first answer for the same image
     * @param firstFailure what the first failure was; null when none
     */
    public record Result(String route, int requests, int concurrency, int failures, int inconsistent, double seconds,
                         double throughput, double p50Ms, double p95Ms, String firstFailure) {
    }

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private ServeLoad() {
    }

    /**
     * Starts the service with {@code workers} copies of the model in {@code modelDir}, warms each route
     * up with a few requests, then measures each route of {@link #ROUTES}.
     */
    public static List<Result> run(Path modelDir, int workers, List<byte[]> images, int requests, int concurrency) {
        Server.Settings settings = Server.Settings.defaults().withPort(0)
                .withMaxInFlight(Math.max(Server.Settings.defaults().maxInFlight(), concurrency));
        try (ModelPool pool = new ModelPool(modelDir, workers, 30_000);
             Server server = Server.start(pool, settings, new PrintStream(OutputStream.nullOutputStream()))) {
            URI base = URI.create("http://127.0.0.1:" + server.port());
            List<Result> results = new ArrayList<>();
            for (String route : ROUTES) {
                fire(base, route, images, Math.min(requests, 2 * concurrency), concurrency); // warm-up
                results.add(fire(base, route, images, requests, concurrency));
            }
            return results;
        }
    }

    /** Fires {@code requests} uploads to {@code route}, image {@code i % images.size()} as request i, {@code concurrency} at a time. */
    public static Result fire(URI base, String route, List<byte[]> images, int requests, int concurrency) {
        double[] millis = new double[requests];
        AtomicInteger failures = new AtomicInteger();
        AtomicInteger inconsistent = new AtomicInteger();
        AtomicReference<String> firstFailure = new AtomicReference<>();
        ConcurrentHashMap<Integer, String> answers = new ConcurrentHashMap<>();
        ExecutorService clients = Executors.newFixedThreadPool(concurrency);
        long started = System.nanoTime();
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < requests; i++) {
                int index = i;
                done.add(clients.submit(() -> {
                    int image = index % images.size();
                    long t0 = System.nanoTime();
                    String failure;
                    try {
                        HttpResponse<byte[]> response = HTTP.send(upload(base.resolve(route), images.get(image)),
                                HttpResponse.BodyHandlers.ofByteArray());
                        millis[index] = (System.nanoTime() - t0) / 1e6;
                        failure = response.statusCode() == 200 ? null
                                : "HTTP " + response.statusCode() + ": " + new String(response.body(), StandardCharsets.UTF_8)
                                        .replaceAll("\\s+", " ");
                        if (failure == null && !answers.computeIfAbsent(image, k -> essence(response.body()))
                                .equals(essence(response.body()))) {
                            inconsistent.incrementAndGet();
                        }
                    } catch (IOException e) {
                        millis[index] = (System.nanoTime() - t0) / 1e6;
                        failure = e.getClass().getSimpleName() + ": " + e.getMessage();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        failure = "interrupted";
                    }
                    if (failure != null) {
                        failures.incrementAndGet();
                        firstFailure.compareAndSet(null, failure);
                    }
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        } finally {
            clients.shutdownNow();
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        return new Result(route, requests, concurrency, failures.get(), inconsistent.get(), seconds, requests / seconds,
                Stats.percentile(millis, 50), Stats.percentile(millis, 95), firstFailure.get());
    }

    /** What must be the same for the same image: the probabilities, and the heat map where there is one. */
    private static String essence(byte[] body) {
        try {
            JsonNode json = Json.MAPPER.readTree(body);
            return json.path("probabilities").toString() + json.path("heatMap").toString();
        } catch (IOException e) {
            return "unparsable: " + e.getMessage();
        }
    }

    /** A multipart/form-data POST with the image in field 'image'. */
    static HttpRequest upload(URI uri, byte[] image) {
        String boundary = "----pneuknow-load-" + Long.toHexString(System.nanoTime());
        ByteArrayOutputStream body = new ByteArrayOutputStream(image.length + 256);
        body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"image\"; filename=\"load\"\r\n"
                + "Content-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        body.writeBytes(image);
        body.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return HttpRequest.newBuilder(uri).header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build();
    }

    /** {@code count} synthetic chest images (PNG bytes) of {@code size} px, written to and read from {@code work}. */
    public static List<byte[]> syntheticImages(Path work, int size, int count) {
        Path data = SyntheticChestXrays.generate(work.resolve("load-images"), new SyntheticChestXrays.Spec(size,
                (count + 2) / 3, 0, 0, 0.0, SyntheticChestXrays.Spec.CUE_LEVEL, 11));
        List<byte[]> images = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            try {
                images.add(Files.readAllBytes(data.resolve(String.format(Locale.ROOT, "images/syn_%05d.png", i))));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return images;
    }

    /** The results as a Markdown table. */
    public static String table(List<Result> results) {
        StringBuilder out = new StringBuilder("| route | requests | concurrency | failures | inconsistent | req/s | p50 ms | p95 ms |\n"
                + "|---|---|---|---|---|---|---|---|\n");
        for (Result r : results) {
            out.append(String.format(Locale.ROOT, "| POST %s | %d | %d | %d | %d | %.1f | %.1f | %.1f |%n", r.route(),
                    r.requests(), r.concurrency(), r.failures(), r.inconsistent(), r.throughput(), r.p50Ms(), r.p95Ms()));
        }
        return out.toString();
    }
}
