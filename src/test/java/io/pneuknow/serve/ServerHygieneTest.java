package io.pneuknow.serve;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.pneuknow.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The service's HTTP hygiene against a started server, with raw sockets (an HTTP client would refuse to send most
 * of these requests): every refusal, the HTTP layer's own included, a JSON error with a request id that the access
 * and audit logs record; multipart bodies that are broken or hold two images; security headers and no cross-origin
 * access; the Host allow-list; 405 with {@code Allow}; a model route without server paths or platform versions.
 */
class ServerHygieneTest {
    @TempDir
    static Path dir;
    static TinyModel tiny;
    static ModelPool pool;
    static Server server;
    static Path auditLog;
    static final ByteArrayOutputStream LOG = new ByteArrayOutputStream();

    @BeforeAll
    static void start() {
        tiny = TinyModel.train(dir);
        pool = new ModelPool(tiny.model(), 1, 30_000);
        auditLog = dir.resolve("audit.jsonl");
        server = Server.start(pool, Server.Settings.defaults().withPort(0).withAuditLog(auditLog),
                new PrintStream(LOG, true, StandardCharsets.UTF_8));
    }

    @AfterAll
    static void stop() {
        server.close();
        pool.close();
    }

    /** A raw answer: status, headers (names in lower case) and body. */
    record Answer(int status, Map<String, String> headers, byte[] body) {
        JsonNode json() throws IOException {
            assertThat(headers.get("content-type")).startsWith("application/json");
            return Json.MAPPER.readTree(body);
        }

        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /** Sends {@code request} as it is on a new connection to {@code port} and reads the whole answer. */
    static Answer raw(int port, byte[] request) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            out.write(request);
            out.flush();
            socket.shutdownOutput();
            byte[] all = socket.getInputStream().readAllBytes();
            return parse(all);
        }
    }

    static Answer raw(byte[] request) throws IOException {
        return raw(server.port(), request);
    }

    static Answer raw(String request) throws IOException {
        return raw(request.getBytes(StandardCharsets.ISO_8859_1));
    }

    private static Answer parse(byte[] all) {
        String text = new String(all, StandardCharsets.ISO_8859_1);
        int end = text.indexOf("\r\n\r\n");
        assertThat(end).as("an HTTP answer: " + text).isPositive();
        String[] lines = text.substring(0, end).split("\r\n");
        int status = Integer.parseInt(lines[0].split(" ")[1]);
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
        }
        byte[] body = Arrays.copyOfRange(all, end + 4, all.length);
        if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
            body = unchunk(body);
        }
        return new Answer(status, headers, body);
    }

    private static byte[] unchunk(byte[] chunked) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int at = 0;
        while (true) {
            int lineEnd = indexOf(chunked, at);
            int size = Integer.parseInt(new String(chunked, at, lineEnd - at, StandardCharsets.ISO_8859_1).trim(), 16);
            if (size == 0) {
                return out.toByteArray();
            }
            out.write(chunked, lineEnd + 2, size);
            at = lineEnd + 2 + size + 2;
        }
    }

    private static int indexOf(byte[] bytes, int from) {
        for (int i = from; i < bytes.length - 1; i++) {
            if (bytes[i] == '\r' && bytes[i + 1] == '\n') {
                return i;
            }
        }
        throw new IllegalStateException("no CRLF after " + from);
    }

    static String get(String path, String host) {
        return "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n";
    }

    static String get(String path) {
        return get(path, "127.0.0.1:" + server.port());
    }

    /** A multipart POST of {@code body} with this Content-Type. */
    static byte[] post(String path, String contentType, byte[] body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + server.port() + "\r\nContent-Type: "
                + contentType + "\r\nContent-Length: " + body.length + "\r\nConnection: close\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1));
        out.writeBytes(body);
        return out.toByteArray();
    }

    static byte[] part(String boundary, String field, String fileName, byte[] content) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + field + "\"; filename=\""
                + fileName + "\"\r\nContent-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        out.writeBytes(content);
        out.writeBytes("\r\n".getBytes(StandardCharsets.ISO_8859_1));
        return out.toByteArray();
    }

    static byte[] closing(String boundary) {
        return ("--" + boundary + "--\r\n").getBytes(StandardCharsets.ISO_8859_1);
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    static byte[] png() throws IOException {
        return Files.readAllBytes(tiny.image(4));
    }

    /** Checks a JSON refusal: its status and code, a request id equal to the header's, and its lines in both logs. */
    static JsonNode assertRefusal(Answer answer, int status, String code) throws Exception {
        assertThat(answer.status()).as(answer.text()).isEqualTo(status);
        JsonNode body = answer.json();
        assertThat(body.get("status").asInt()).isEqualTo(status);
        assertThat(body.get("code").asText()).isEqualTo(code);
        assertThat(body.get("message").asText()).isNotBlank().doesNotContain("\n").doesNotContain("Exception");
        String id = body.get("requestId").asText();
        assertThat(id).matches("[0-9a-f]{16}");
        assertThat(answer.headers().get("x-request-id")).isEqualTo(id);
        assertThat(answer.headers().get("content-security-policy")).contains("frame-ancestors 'none'");
        String access = LOG.toString(StandardCharsets.UTF_8);
        assertThat(access).as("the access log").containsPattern(" " + status + " \\d+ms id=" + id);
        return body;
    }

    static List<JsonNode> auditLines() throws IOException {
        return Files.readAllLines(auditLog).stream().map(line -> {
            try {
                return Json.MAPPER.readTree(line);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }).toList();
    }

    static JsonNode auditLine(String requestId) throws IOException {
        return auditLines().stream().filter(l -> l.get("requestId").asText().equals(requestId)).findFirst().orElseThrow(
                () -> new AssertionError("no audit line for " + requestId));
    }

    // --- refusals of the HTTP layer ---

    @Test
    void aBadRequestLineIs400JsonWithARequestIdInTheAccessAndAuditLogs() throws Exception {
        JsonNode body = assertRefusal(raw("GET /health HTTP/1.1 and more\r\nHost: 127.0.0.1\r\n\r\n"), 400, "bad_request");
        JsonNode audit = auditLine(body.get("requestId").asText());
        assertThat(audit.get("status").asInt()).isEqualTo(400);
        assertThat(audit.get("result").asText()).isEqualTo("bad_request");
        assertThat(audit.get("client").asText()).isEqualTo("127.0.0.1");
    }

    @Test
    void aUriTooLongIs414Json() throws Exception {
        JsonNode body = assertRefusal(raw(get("/v1/model?q=" + "a".repeat(20_000))), 414, "uri_too_long");
        assertThat(auditLine(body.get("requestId").asText()).get("status").asInt()).isEqualTo(414);
    }

    @Test
    void headersTooLargeAre431Json() throws Exception {
        assertRefusal(raw("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + "b".repeat(20_000)
                + "\r\nConnection: close\r\n\r\n"), 431, "headers_too_large");
    }

    @Test
    void aBadlyEncodedPathIs400JsonAndADotDotPathIsNoRoute() throws Exception {
        assertRefusal(raw(get("/v1/%zz")), 400, "bad_request");
        assertRefusal(raw(get("/static/%2e%2e/v1/model")), 404, "not_found");
    }

    // --- multipart ---

    @Test
    void multipartWithoutABoundaryIs400() throws Exception {
        assertRefusal(raw(post("/v1/predict", "multipart/form-data", concat(part("xyz", "image", "a.png", png()),
                closing("xyz")))), 400, "bad_multipart");
    }

    @Test
    void aBodyWithoutItsClosingBoundaryIs400() throws Exception {
        assertRefusal(raw(post("/v1/predict", "multipart/form-data; boundary=xyz", part("xyz", "image", "a.png", png()))),
                400, "bad_multipart");
    }

    @Test
    void aFileNameOfTwoThousandCharactersIs400() throws Exception {
        assertRefusal(raw(post("/v1/predict", "multipart/form-data; boundary=xyz",
                concat(part("xyz", "image", "n".repeat(2_000) + ".png", png()), closing("xyz")))), 400, "bad_multipart");
        assertThat(LOG.toString(StandardCharsets.UTF_8)).doesNotContain("n".repeat(50));
        Answer shorter = raw(post("/v1/predict", "multipart/form-data; boundary=xyz",
                concat(part("xyz", "image", "n".repeat(200) + ".png", png()), closing("xyz"))));
        assertThat(shorter.status()).as("a name of 200 characters: " + shorter.text()).isEqualTo(200);
    }

    @Test
    void twoImagePartsAre400NamingTheProblem() throws Exception {
        JsonNode body = assertRefusal(raw(post("/v1/predict", "multipart/form-data; boundary=xyz",
                concat(part("xyz", "image", "a.png", png()), part("xyz", "image", "b.png", png()), closing("xyz")))),
                400, "several_images");
        assertThat(body.get("message").asText()).contains("2 parts named 'image'").contains("exactly one");
    }

    // --- headers, CORS, methods ---

    @Test
    void everyAnswerCarriesTheSecurityHeadersAndApiAnswersAreNotStored() throws Exception {
        Answer page = raw(get("/"));
        Answer missing = raw(get("/nothing-here"));
        Answer prediction = raw(post("/v1/predict", "multipart/form-data; boundary=xyz",
                concat(part("xyz", "image", "a.png", png()), closing("xyz"))));
        Answer explanation = raw(post("/v1/explain?format=json", "multipart/form-data; boundary=xyz",
                concat(part("xyz", "image", "a.png", png()), closing("xyz"))));
        assertThat(prediction.status()).isEqualTo(200);
        assertThat(explanation.status()).isEqualTo(200);
        for (Answer answer : List.of(page, missing, prediction, explanation)) {
            assertThat(answer.headers().get("content-security-policy")).isEqualTo(SecurityHeaders.CONTENT_SECURITY_POLICY);
            assertThat(answer.headers().get("x-content-type-options")).isEqualTo("nosniff");
            assertThat(answer.headers().get("referrer-policy")).isEqualTo("no-referrer");
            assertThat(answer.headers()).doesNotContainKey("access-control-allow-origin");
        }
        assertThat(SecurityHeaders.CONTENT_SECURITY_POLICY).startsWith("default-src 'self';")
                .contains("frame-ancestors 'none'").doesNotContain("unsafe");
        assertThat(prediction.headers().get("cache-control")).isEqualTo("no-store");
        assertThat(explanation.headers().get("cache-control")).isEqualTo("no-store");
        assertThat(page.headers().get("cache-control")).isEqualTo("no-cache");
    }

    @Test
    void aCrossOriginPreflightIsRefusedWithoutAllowOrigin() throws Exception {
        Answer answer = raw("OPTIONS /v1/predict HTTP/1.1\r\nHost: 127.0.0.1:" + server.port()
                + "\r\nOrigin: https://evil.example\r\nAccess-Control-Request-Method: POST\r\nConnection: close\r\n\r\n");
        assertRefusal(answer, 405, "method_not_allowed");
        assertThat(answer.headers().get("allow")).isEqualTo("POST");
        assertThat(answer.headers()).doesNotContainKeys("access-control-allow-origin", "access-control-allow-methods");
    }

    @Test
    void putDeleteAndPatchOnAKnownRouteAre405WithAllow() throws Exception {
        for (String method : List.of("PUT", "DELETE", "PATCH")) {
            Answer predict = raw(method + " /v1/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            JsonNode body = assertRefusal(predict, 405, "method_not_allowed");
            assertThat(body.get("message").asText()).isEqualTo(method + " is not allowed on /v1/predict; use POST");
            assertThat(predict.headers().get("allow")).isEqualTo("POST");
            Answer model = raw(method + " /v1/model HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            assertRefusal(model, 405, "method_not_allowed");
            assertThat(model.headers().get("allow")).isEqualTo("GET");
        }
        assertThat(raw("POST /health HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                .headers().get("allow")).isEqualTo("GET");
        assertRefusal(raw("PUT /no-route HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"),
                404, "not_found");
    }

    @Test
    void anUnknownMethodAndTraceAreJsonRefusals() throws Exception {
        Answer brew = raw("BREW /v1/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
        Answer trace = raw("TRACE /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
        assertRefusal(brew, 405, "method_not_allowed");
        assertThat(brew.headers().get("allow")).isEqualTo("POST");
        assertRefusal(trace, 405, "method_not_allowed");
        assertThat(trace.headers().get("allow")).isEqualTo("GET");
        assertThat(trace.text()).doesNotContain("Host:");
    }

    // --- Host allow-list ---

    @Test
    void onALoopbackBindOnlyLoopbackHostsAreAnswered() throws Exception {
        int port = server.port();
        for (String host : List.of("127.0.0.1", "127.0.0.1:" + port, "localhost", "LOCALHOST:" + port, "[::1]",
                "[::1]:" + port)) {
            assertThat(raw(get("/health", host)).status()).as(host).isEqualTo(200);
        }
        JsonNode body = assertRefusal(raw(get("/health", "evil.example")), 421, "misdirected_host");
        assertThat(body.get("message").asText()).contains("--allowed-hosts");
        assertRefusal(raw(get("/v1/model", "evil.example:" + port)), 421, "misdirected_host");
        assertRefusal(raw(get("/", "127.0.0.1.evil.example")), 421, "misdirected_host");
        assertRefusal(raw("GET /health HTTP/1.0\r\n\r\n"), 421, "misdirected_host");
    }

    @Test
    void theAllowListIsConfigurable() throws Exception {
        try (Server named = Server.start(pool, Server.Settings.defaults().withPort(0)
                        .withAllowedHosts(List.of("xray.example.org")), new PrintStream(LOG, true, StandardCharsets.UTF_8));
             Server any = Server.start(pool, Server.Settings.defaults().withPort(0).withAllowedHosts(List.of("*")),
                     new PrintStream(LOG, true, StandardCharsets.UTF_8))) {
            assertThat(raw(named.port(), get("/health", "xray.example.org:443").getBytes(StandardCharsets.ISO_8859_1))
                    .status()).isEqualTo(200);
            assertThat(raw(named.port(), get("/health", "127.0.0.1").getBytes(StandardCharsets.ISO_8859_1)).status())
                    .isEqualTo(421);
            assertThat(raw(any.port(), get("/health", "evil.example").getBytes(StandardCharsets.ISO_8859_1)).status())
                    .isEqualTo(200);
        }
        assertThat(HostAllowList.of("0.0.0.0", List.of()).allows("anything.example")).isTrue();
        assertThat(HostAllowList.of("::1", List.of()).allows("evil.example")).isFalse();
        assertThat(HostAllowList.name("[::1]:8080")).isEqualTo("[::1]");
        assertThat(HostAllowList.name("Example.ORG.:80")).isEqualTo("example.org");
    }

    // --- the model route ---

    @Test
    void theModelRouteTellsNoServerPathsNorPlatformVersionsUnlessAsked() throws Exception {
        Answer answer = raw(get("/v1/model"));
        assertThat(answer.status()).isEqualTo(200);
        JsonNode model = answer.json();
        String text = answer.text();
        assertThat(text).doesNotContain(dir.toString()).doesNotContain(tiny.data().toString());
        JsonNode versions = model.get("provenance").path("versions");
        assertThat(versions.isNull() || versions.isMissingNode()).as("versions: " + versions).isTrue();
        assertThat(text.toLowerCase(Locale.ROOT)).doesNotContain("java").doesNotContain("pytorch").doesNotContain("linux");
        assertThat(model.get("provenance").get("command").asText()).startsWith("pneuknow train --data <path>")
                .contains("--out <path>");
        // what the page reads is all there
        for (String field : List.of("id", "architecture", "method", "inputSize", "labels", "validation", "intendedUse",
                "population")) {
            assertThat(model.hasNonNull(field)).as(field).isTrue();
        }
        try (Server detailed = Server.start(pool, Server.Settings.defaults().withPort(0).withModelDetails(true),
                new PrintStream(LOG, true, StandardCharsets.UTF_8))) {
            JsonNode full = raw(detailed.port(), get("/v1/model", "127.0.0.1").getBytes(StandardCharsets.ISO_8859_1))
                    .json();
            assertThat(full.get("provenance").get("versions").size()).isPositive();
            assertThat(full.get("provenance").get("command").asText()).contains(tiny.data().toString());
        }
    }

    @Test
    void pathsInACommandAndInSettingsAreHidden() {
        assertThat(ModelView.withoutPaths("pneuknow train --data /srv/x --out=C:\\models\\a --epochs 2"))
                .isEqualTo("pneuknow train --data <path> --out=<path> --epochs 2");
        assertThat(ModelView.withoutPaths(Json.MAPPER.createObjectNode().put("pretrained", "/srv/w.safetensors")
                .put("method", "hkd")).toString()).isEqualTo("{\"pretrained\":\"<path>\",\"method\":\"hkd\"}");
    }
}
