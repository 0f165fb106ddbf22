package io.pneuknow.serve;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.pneuknow.Json;
import io.pneuknow.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
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
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The service's operational limits and controls: requests in flight (503), request timeout, API key (401), audit log. */
class ServerOperationsTest {
    @TempDir
    static Path dir;
    static TinyModel tiny;
    static ModelPool pool;
    static byte[] png;
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final ByteArrayOutputStream LOG = new ByteArrayOutputStream();
    static final String KEY = "5e3c4e7b9a1d2f6083c4a5b6d7e8f9012a3b4c5d6e7f8091a2b3c4d5e6f70819";

    @BeforeAll
    static void train() throws Exception {
        tiny = TinyModel.shared();
        pool = new ModelPool(tiny.model(), 1, 30_000);
        png = Files.readAllBytes(tiny.image(2));
    }

    @AfterAll
    static void close() {
        pool.close();
    }

    static Server start(Server.Settings settings, Runnable beforeModel) {
        return Server.start(pool, settings, new PrintStream(LOG, true, StandardCharsets.UTF_8), beforeModel);
    }

    static Server.Settings settings() {
        return Server.Settings.defaults().withPort(0);
    }

    static HttpRequest.Builder request(Server server, String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path));
    }

    /** A multipart upload of the test image in field 'image', with extra headers (name, value, ...). */
    static HttpRequest predict(Server server, String path, String... headers) {
        String boundary = "----pneuknow" + Long.toHexString(new Random().nextLong());
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"image\"; filename=\"x.png\"\r\n"
                + "Content-Type: image/png\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        body.writeBytes(png);
        body.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        HttpRequest.Builder builder = request(server, path).header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray()));
        for (int i = 0; i < headers.length; i += 2) {
            builder.header(headers[i], headers[i + 1]);
        }
        return builder.build();
    }

    static HttpResponse<String> send(HttpRequest request) throws Exception {
        return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode error(HttpResponse<String> response, int status, String code) throws Exception {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type").orElse("")).startsWith("application/json");
        JsonNode body = Json.MAPPER.readTree(response.body());
        assertThat(body.get("code").asText()).isEqualTo(code);
        assertThat(body.get("status").asInt()).isEqualTo(status);
        assertThat(body.get("message").asText()).isNotBlank().doesNotContain("\n").doesNotContain("Exception");
        return body;
    }

    @Test
    void beyondTheRequestsInFlightTheServiceAnswers503WithRetryAfter() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        try (Server server = start(settings().withMaxInFlight(1), () -> {
            entered.countDown();
            await(release);
        })) {
            CompletableFuture<HttpResponse<String>> first = HTTP.sendAsync(predict(server, "/v1/predict"),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(entered.await(30, TimeUnit.SECONDS)).as("the first request reached the model").isTrue();
            HttpResponse<String> second = send(predict(server, "/v1/predict"));
            error(second, 503, "busy");
            assertThat(second.headers().firstValue("Retry-After")).hasValue("1");
            assertThat(send(request(server, "/health").build()).statusCode()).as("health is not limited").isEqualTo(200);
            release.countDown();
            assertThat(first.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
            assertThat(send(predict(server, "/v1/predict")).statusCode()).as("served again").isEqualTo(200);
        }
    }

    @Test
    void aRequestOverTheTimeLimitIsAnswered503AndTheServerKeepsServing() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        List<String> slow = new ArrayList<>(List.of("slow", "slow"));
        try (Server server = start(settings().withRequestTimeout(Duration.ofSeconds(2)), () -> {
            boolean isSlow;
            synchronized (slow) {
                isSlow = !slow.isEmpty() && slow.remove(0) != null;
            }
            if (isSlow) {
                await(release);
            }
        })) {
            long started = System.nanoTime();
            JsonNode body = error(send(predict(server, "/v1/predict")), 503, "timeout");
            assertThat(body.get("message").asText()).contains("2 s");
            assertThat((System.nanoTime() - started) / 1e9).as("answered at the limit, not when the work ends").isLessThan(20);
            error(send(predict(server, "/v1/explain?format=json")), 503, "timeout");
            release.countDown();
            assertThat(send(predict(server, "/v1/predict")).statusCode()).as("served again").isEqualTo(200);
            assertThat(send(predict(server, "/v1/explain")).statusCode()).isEqualTo(200);
        }
    }

    @Test
    void withAnApiKeyEveryV1RouteNeedsItAndThePageAndHealthStayOpen() throws Exception {
        Path audit = dir.resolve("key-audit.jsonl");
        try (Server server = start(settings().withApiKey(ApiKey.of(KEY)).withAuditLog(audit), () -> { })) {
            JsonNode none = error(send(request(server, "/v1/model").build()), 401, "unauthorized");
            assertThat(none.get("message").asText()).startsWith("no API key");
            error(send(predict(server, "/v1/predict")), 401, "unauthorized");
            JsonNode wrong = error(send(predict(server, "/v1/predict", "Authorization", "Bearer nope")), 401, "unauthorized");
            assertThat(wrong.get("message").asText()).startsWith("wrong API key");
            error(send(predict(server, "/v1/explain", "X-API-Key", KEY + "x")), 401, "unauthorized");
            error(send(request(server, "/v1/nothing").build()), 401, "unauthorized");

            assertThat(send(request(server, "/v1/model").header("Authorization", "Bearer " + KEY).build()).statusCode())
                    .isEqualTo(200);
            assertThat(send(predict(server, "/v1/predict", "Authorization", "bearer " + KEY)).statusCode()).isEqualTo(200);
            assertThat(send(predict(server, "/v1/explain", "X-API-Key", KEY)).statusCode()).isEqualTo(200);
            assertThat(send(request(server, "/health").build()).statusCode()).isEqualTo(200);
            HttpResponse<String> page = send(request(server, "/").build());
            assertThat(page.statusCode()).isEqualTo(200);
            assertThat(page.body()).contains("id=\"apikey\"");
            assertThat(send(request(server, "/app.js").build()).body()).contains("Authorization: 'Bearer ' + key");
        }
        assertThat(Files.readString(audit) + LOG.toString(StandardCharsets.UTF_8)).doesNotContain(KEY);
    }

    @Test
    void theAuditLogHasOneJsonLinePerV1Request() throws Exception {
        Path audit = dir.resolve("audit.jsonl");
        Files.writeString(audit, "{\"earlier\":\"line\"}\n");
        List<String> ids = new ArrayList<>();
        try (Server server = start(settings().withAuditLog(audit), () -> { })) {
            for (int i = 0; i < 3; i++) {
                ids.add(send(predict(server, "/v1/predict")).headers().firstValue("X-Request-Id").orElseThrow());
            }
            ids.add(send(predict(server, "/v1/explain")).headers().firstValue("X-Request-Id").orElseThrow());
            ids.add(send(request(server, "/v1/model").build()).headers().firstValue("X-Request-Id").orElseThrow());
            ids.add(send(request(server, "/v1/nothing").build()).headers().firstValue("X-Request-Id").orElseThrow());
            HttpResponse<String> text = send(request(server, "/v1/predict").header("Content-Type", "text/plain")
                    .POST(HttpRequest.BodyPublishers.ofString("DOE^JANE")).build());
            ids.add(text.headers().firstValue("X-Request-Id").orElseThrow());
            send(request(server, "/health").build());
            send(request(server, "/").build());
        }
        List<String> lines = Files.readAllLines(audit);
        assertThat(lines.get(0)).isEqualTo("{\"earlier\":\"line\"}");
        assertThat(lines).as("a start and an end line per request").hasSize(1 + 2 * ids.size());
        String sha = io.pneuknow.model.ModelBundle.sha256(png);
        List<JsonNode> ends = new ArrayList<>();
        for (int i = 0; i < ids.size(); i++) {
            JsonNode start = Json.MAPPER.readTree(lines.get(1 + 2 * i));
            assertThat(start.get("event").asText()).isEqualTo("start");
            assertThat(start.get("requestId").asText()).isEqualTo(ids.get(i));
            assertThat(start.get("route").asText()).startsWith("/v1/");
            assertThat(start.get("time").asText()).matches("\\d{4}-\\d\\d-\\d\\dT.*Z");
            JsonNode line = Json.MAPPER.readTree(lines.get(2 + 2 * i));
            ends.add(line);
            assertThat(line.get("event").asText()).isEqualTo("end");
            assertThat(line.get("principal").asText()).as("no key: anonymous").isEqualTo("anonymous");
            assertThat(line.get("requestId").asText()).isEqualTo(ids.get(i));
            assertThat(line.get("time").asText()).matches("\\d{4}-\\d\\d-\\d\\dT.*Z");
            assertThat(line.get("client").asText()).isIn("127.0.0.1", "[0:0:0:0:0:0:0:1]", "0:0:0:0:0:0:0:1");
            assertThat(line.get("modelSha256").asText()).isEqualTo(pool.card().weightsSha256());
            assertThat(line.get("latencyMs").asLong()).isNotNegative();
            assertThat(line.has("inputSha256")).isTrue();
            if (i < 4) {
                assertThat(line.get("status").asInt()).isEqualTo(200);
                assertThat(line.get("inputSha256").asText()).isEqualTo(sha);
                assertThat(line.get("result").asText()).isIn(pool.card().labels());
            }
        }
        JsonNode model = ends.get(4);
        assertThat(model.get("result").asText()).isEqualTo("ok");
        assertThat(model.get("inputSha256").isNull()).isTrue();
        JsonNode missing = ends.get(5);
        assertThat(missing.get("status").asInt()).isEqualTo(404);
        assertThat(missing.get("result").asText()).isEqualTo("not_found");
        JsonNode refused = ends.get(6);
        assertThat(refused.get("status").asInt()).isEqualTo(415);
        assertThat(refused.get("result").asText()).isEqualTo("not_multipart");
        assertThat(String.join("\n", lines)).doesNotContain("x.png").doesNotContain("DOE");
    }

    @Test
    void concurrentRequestsWriteWholeAuditLines() throws Exception {
        Path audit = dir.resolve("concurrent-audit.jsonl");
        int requests = 24;
        try (Server server = start(settings().withAuditLog(audit), () -> { })) {
            List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
            for (int i = 0; i < requests; i++) {
                answers.add(HTTP.sendAsync(i % 2 == 0 ? predict(server, "/v1/predict")
                        : request(server, "/v1/model").build(), HttpResponse.BodyHandlers.ofString()));
            }
            for (CompletableFuture<HttpResponse<String>> answer : answers) {
                assertThat(answer.get(60, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
            }
        }
        List<String> lines = Files.readAllLines(audit);
        assertThat(lines).hasSize(2 * requests);
        java.util.Map<String, List<String>> events = new java.util.HashMap<>();
        for (String line : lines) {
            JsonNode node = Json.MAPPER.readTree(line);
            events.computeIfAbsent(node.get("requestId").asText(), id -> new ArrayList<>()).add(node.get("event").asText());
            if (node.get("event").asText().equals("end")) {
                assertThat(node.get("status").asInt()).isEqualTo(200);
            }
        }
        assertThat(events).hasSize(requests).allSatisfy((id, kinds) -> assertThat(kinds).containsExactly("start", "end"));
    }

    @Test
    void serveRefusesAMissingOrEmptyKeyFileInOneLine() throws Exception {
        Path empty = Files.writeString(dir.resolve("empty.key"), "\n");
        for (Path file : List.of(dir.resolve("no.key"), empty)) {
            StringWriter err = new StringWriter();
            int code = Main.run(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true), "serve", "--model",
                    tiny.model().toString(), "--port", "0", "--api-key-file", file.toString());
            assertThat(code).isEqualTo(1);
            assertThat(err.toString().trim()).startsWith("error: " + file + ": ").doesNotContain("\n")
                    .contains(Files.exists(file) ? "is empty" : "not found");
        }
    }

    @Test
    void serveRefusesAnAuditLogItCannotWriteInOneLine() {
        Path file = dir.resolve("no-such-folder").resolve("audit.jsonl");
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true), "serve", "--model",
                tiny.model().toString(), "--port", "0", "--audit-log", file.toString());
        assertThat(code).isEqualTo(1);
        assertThat(err.toString().trim()).startsWith("error: " + file + ": cannot open the audit log").doesNotContain("\n");
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
