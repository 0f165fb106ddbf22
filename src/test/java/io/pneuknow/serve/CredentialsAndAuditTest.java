package io.pneuknow.serve;

import static io.pneuknow.serve.ServerOperationsTest.error;
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
import java.nio.file.attribute.PosixFilePermissions;
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

/**
 * Issue 19's probes of credentials and the audit log, against a started server: weak key files refused at start,
 * wrong keys rate-limited per address, audit lines at a request's start and end naming its principal, bounded,
 * owner-only and rotated.
 */
class CredentialsAndAuditTest {
    @TempDir
    static Path dir;
    static TinyModel tiny;
    static ModelPool pool;
    static byte[] png;
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final String KEY = "c0ffee00deadbeef0123456789abcdef";

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

    static Server start(Server.Settings settings, ByteArrayOutputStream log, Runnable beforeModel) {
        return Server.start(pool, settings, new PrintStream(log, true, StandardCharsets.UTF_8), beforeModel);
    }

    static HttpRequest.Builder request(Server server, String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path));
    }

    static HttpRequest predict(Server server, String... headers) {
        String boundary = "----pneuknow" + Long.toHexString(new Random().nextLong());
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"image\"; filename=\"x.png\"\r\n"
                + "Content-Type: image/png\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        body.writeBytes(png);
        body.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        HttpRequest.Builder builder = request(server, "/v1/predict")
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray()));
        for (int i = 0; i < headers.length; i += 2) {
            builder.header(headers[i], headers[i + 1]);
        }
        return builder.build();
    }

    static HttpResponse<String> send(HttpRequest request) throws Exception {
        return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    }

    static List<JsonNode> lines(Path file) throws Exception {
        List<JsonNode> nodes = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            nodes.add(Json.MAPPER.readTree(line));
        }
        return nodes;
    }

    static Server.Settings settings() {
        return Server.Settings.defaults().withPort(0);
    }

    @Test
    void aWeakKeyFileIsRefusedAtStartWithTheCommandThatMakesOne() throws Exception {
        Path weak = Files.writeString(dir.resolve("weak.key"), "x\n");
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true), "serve", "--model",
                tiny.model().toString(), "--port", "0", "--api-key-file", weak.toString());
        assertThat(code).isEqualTo(1);
        assertThat(err.toString().trim()).doesNotContain("\n")
                .startsWith("error: " + weak + ": the API key is too weak (1 base64url characters;")
                .contains("'pneuknow serve --make-key " + weak + "'");
    }

    @Test
    void serveMakeKeyWritesAnOwnerOnlyKeyThatServeAccepts() throws Exception {
        Path file = dir.resolve("made.key");
        StringWriter out = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(new StringWriter(), true), "serve", "--make-key",
                file.toString());
        assertThat(code).isZero();
        String key = Files.readString(file).trim();
        assertThat(key).matches("[0-9a-f]{64}");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        ApiKey loaded = ApiKey.fromFile(file);
        assertThat(out.toString()).contains(loaded.id()).contains(file.toString()).doesNotContain(key);
        StringWriter again = new StringWriter();
        assertThat(Main.run(new PrintWriter(new StringWriter(), true), new PrintWriter(again, true), "serve",
                "--make-key", file.toString())).isEqualTo(1);
        assertThat(again.toString()).contains("the file exists");
        assertThat(Files.readString(file).trim()).as("not replaced").isEqualTo(key);
        assertThat(Main.run(new PrintWriter(new StringWriter(), true), new PrintWriter(new StringWriter(), true),
                "serve", "--port", "0")).as("--model is still required to serve").isEqualTo(2);
        try (Server server = start(settings().withApiKey(loaded), new ByteArrayOutputStream(), () -> { })) {
            assertThat(send(request(server, "/v1/model").header("X-API-Key", key).build()).statusCode()).isEqualTo(200);
        }
    }

    @Test
    void theFailedKeyLimitIsASetting() throws Exception {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        try (Server server = start(settings().withApiKey(ApiKey.of(KEY)).withFailedAuthPerMinute(3), log, () -> { })) {
            for (int i = 0; i < 3; i++) {
                error(send(request(server, "/v1/model").header("X-API-Key", "0123456789abcdef0123456789abcde" + i)
                        .build()), 401, "unauthorized");
            }
            error(send(request(server, "/v1/model").header("X-API-Key", KEY).build()), 429, "too_many_failures");
        }
        assertThat(log.toString(StandardCharsets.UTF_8)).containsOnlyOnce("refusing 127.0.0.1 (429): 3 wrong API keys within 60 s");
    }

    @Test
    void tenWrongKeysFromAnAddressWithinAMinuteGet429WithRetryAfterLogged() throws Exception {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Path audit = dir.resolve("limit-audit.jsonl");
        try (Server server = start(settings().withApiKey(ApiKey.of(KEY)).withAuditLog(audit), log, () -> { })) {
            for (int i = 0; i < 12; i++) {
                error(send(request(server, "/v1/model").build()), 401, "unauthorized");
            }
            assertThat(send(request(server, "/v1/model").header("X-API-Key", KEY).build()).statusCode())
                    .as("a missing key is no guess").isEqualTo(200);
            for (int i = 0; i < 10; i++) {
                error(send(request(server, "/v1/model").header("X-API-Key", "0123456789abcdef0123456789abcde" + i)
                        .build()), 401, "unauthorized");
            }
            HttpResponse<String> refused = send(predict(server, "Authorization", "Bearer " + KEY));
            JsonNode body = error(refused, 429, "too_many_failures");
            long retryAfter = Long.parseLong(refused.headers().firstValue("Retry-After").orElseThrow());
            assertThat(retryAfter).isBetween(1L, 60L);
            assertThat(body.get("message").asText()).isEqualTo("too many wrong API keys from this address; retry in "
                    + retryAfter + " s");
            assertThat(body.get("requestId").asText()).isEqualTo(refused.headers().firstValue("X-Request-Id").orElseThrow());
            error(send(request(server, "/v1/model").header("X-API-Key", KEY).build()), 429, "too_many_failures");
            assertThat(send(request(server, "/health").build()).statusCode()).as("health stays open").isEqualTo(200);
        }
        String access = log.toString(StandardCharsets.UTF_8);
        assertThat(access).containsOnlyOnce("refusing 127.0.0.1 (429): 10 wrong API keys within 60 s");
        assertThat(access).contains("POST /v1/predict 429");
        List<JsonNode> ends = lines(audit).stream().filter(n -> n.get("event").asText().equals("end")).toList();
        assertThat(ends).extracting(n -> n.get("status").asInt()).endsWith(401, 429, 429);
        assertThat(ends.get(ends.size() - 1).get("result").asText()).isEqualTo("too_many_failures");
        assertThat(ends.get(ends.size() - 1).get("principal").isNull()).isTrue();
        assertThat(Files.readString(audit) + access).doesNotContain(KEY);
    }

    @Test
    void auditLinesAtStartAndEndNameTheKeyIdAndTheFileIsOwnerOnly() throws Exception {
        Path audit = dir.resolve("principal-audit.jsonl");
        ApiKey key = ApiKey.of(KEY);
        String id;
        try (Server server = start(settings().withApiKey(key).withAuditLog(audit), new ByteArrayOutputStream(), () -> { })) {
            id = send(predict(server, "X-API-Key", KEY)).headers().firstValue("X-Request-Id").orElseThrow();
        }
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(audit))).isEqualTo("rw-------");
        List<JsonNode> lines = lines(audit);
        assertThat(lines).hasSize(2);
        assertThat(lines).extracting(n -> n.get("requestId").asText()).containsExactly(id, id);
        assertThat(lines).extracting(n -> n.get("event").asText()).containsExactly("start", "end");
        assertThat(lines.get(0).has("principal")).as("not known before the key check").isFalse();
        assertThat(lines.get(0).get("route").asText()).isEqualTo("/v1/predict");
        assertThat(lines.get(1).get("principal").asText()).isEqualTo(key.id()).startsWith("key:");
        assertThat(lines.get(1).get("status").asInt()).isEqualTo(200);
        assertThat(Files.readString(audit)).doesNotContain(KEY);
    }

    @Test
    void aRequestInFlightHasItsStartLineBeforeItIsAnswered() throws Exception {
        Path audit = dir.resolve("inflight-audit.jsonl");
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        try (Server server = start(settings().withAuditLog(audit), new ByteArrayOutputStream(), () -> {
            entered.countDown();
            try {
                release.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        })) {
            CompletableFuture<HttpResponse<String>> answer = HTTP.sendAsync(predict(server), HttpResponse.BodyHandlers.ofString());
            assertThat(entered.await(30, TimeUnit.SECONDS)).isTrue();
            List<JsonNode> during = lines(audit);
            assertThat(during).as("what a crash now would leave").hasSize(1);
            assertThat(during.get(0).get("event").asText()).isEqualTo("start");
            assertThat(during.get(0).get("route").asText()).isEqualTo("/v1/predict");
            release.countDown();
            String id = answer.get(60, TimeUnit.SECONDS).headers().firstValue("X-Request-Id").orElseThrow();
            assertThat(during.get(0).get("requestId").asText()).isEqualTo(id);
        }
        List<JsonNode> after = lines(audit);
        assertThat(after).extracting(n -> n.get("event").asText()).containsExactly("start", "end");
        assertThat(after.get(1).get("requestId").asText()).isEqualTo(after.get(0).get("requestId").asText());
    }

    @Test
    void aLongPathFromAKeylessClientIsCutInBothLogs() throws Exception {
        Path audit = dir.resolve("long-audit.jsonl");
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        String path = "/v1/" + "p".repeat(7000);
        try (Server server = start(settings().withApiKey(ApiKey.of(KEY)).withAuditLog(audit), log, () -> { })) {
            error(send(request(server, path).build()), 401, "unauthorized");
        }
        List<String> raw = Files.readAllLines(audit);
        assertThat(raw).hasSize(2).allSatisfy(line -> assertThat(line.length()).isLessThan(800));
        for (JsonNode line : lines(audit)) {
            assertThat(line.get("route").asText()).isEqualTo("/v1/" + "p".repeat(252) + "...(+6748)");
        }
        List<String> access = log.toString(StandardCharsets.UTF_8).lines().toList();
        assertThat(access).hasSize(1);
        assertThat(access.get(0)).contains(" 401 ").contains("...(+6748)").hasSizeLessThan(500);
    }

    @Test
    void theAuditLogRotatesBySizeAndKeepsWholeLines() throws Exception {
        Path audit = dir.resolve("rotating").resolve("audit.jsonl");
        Files.createDirectories(audit.getParent());
        List<String> ids = new ArrayList<>();
        try (Server server = start(settings().withAuditLog(new AuditLog.Options(audit, 2000, 2)),
                new ByteArrayOutputStream(), () -> { })) {
            for (int i = 0; i < 12; i++) {
                ids.add(send(request(server, "/v1/model").build()).headers().firstValue("X-Request-Id").orElseThrow());
            }
        }
        try (var files = Files.list(audit.getParent())) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .containsExactlyInAnyOrder("audit.jsonl", "audit.jsonl.1", "audit.jsonl.2");
        }
        List<JsonNode> kept = new ArrayList<>();
        for (String name : List.of("audit.jsonl.2", "audit.jsonl.1", "audit.jsonl")) {
            Path part = audit.resolveSibling(name);
            assertThat(Files.size(part)).isLessThanOrEqualTo(2000);
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(part))).isEqualTo("rw-------");
            kept.addAll(lines(part));
        }
        assertThat(kept.size()).isBetween(6, 24);
        List<String> keptIds = kept.stream().map(n -> n.get("requestId").asText()).distinct().toList();
        assertThat(ids).as("the newest requests, in order").endsWith(keptIds.subList(1, keptIds.size()).toArray(String[]::new));
        assertThat(kept.get(kept.size() - 1).get("event").asText()).isEqualTo("end");
    }
}
