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
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 19's failed-key limit behind a reverse proxy: {@code X-Forwarded-For} is ignored unless the request's peer is
 * a trusted proxy ({@code --trusted-proxies}); then the right-most entry that is no trusted proxy is the client the
 * limit counts and the access and audit logs name. Real requests against a started server (the test client's peer is
 * 127.0.0.1, the proxy).
 */
class TrustedProxiesTest {
    @TempDir
    static Path dir;
    static TinyModel tiny;
    static ModelPool pool;
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final String KEY = "c0ffee00deadbeef0123456789abcdef";
    static final String WRONG = "0123456789abcdef0123456789abcdef";

    @BeforeAll
    static void train() {
        tiny = TinyModel.shared();
        pool = new ModelPool(tiny.model(), 1, 30_000);
    }

    @AfterAll
    static void close() {
        pool.close();
    }

    static Server start(Server.Settings settings, ByteArrayOutputStream log) {
        return Server.start(pool, settings, new PrintStream(log, true, StandardCharsets.UTF_8));
    }

    static Server.Settings keyed() {
        return Server.Settings.defaults().withPort(0).withApiKey(ApiKey.of(KEY));
    }

    /** {@code GET /v1/model} with this key, forwarded for {@code forwardedFor} (null: no header). */
    static HttpResponse<String> model(Server server, String key, String forwardedFor) throws Exception {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/model"))
                .header("X-API-Key", key);
        if (forwardedFor != null) {
            builder.header("X-Forwarded-For", forwardedFor);
        }
        return HTTP.send(builder.build(), HttpResponse.BodyHandlers.ofString());
    }

    static List<String> accessLines(ByteArrayOutputStream log) {
        return log.toString(StandardCharsets.UTF_8).lines().toList();
    }

    @Test
    void withoutTrustedProxiesForwardedForIsIgnoredAndWrongKeysLockThePeer() throws Exception {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        try (Server server = start(keyed(), log)) {
            for (int i = 0; i < 10; i++) {
                error(model(server, WRONG, "203.0.113." + (10 + i)), 401, "unauthorized");
            }
            error(model(server, KEY, "203.0.113.99"), 429, "too_many_failures");
            error(model(server, KEY, null), 429, "too_many_failures");
        }
        assertThat(log.toString(StandardCharsets.UTF_8))
                .containsOnlyOnce("refusing 127.0.0.1 (429): 10 wrong API keys within 60 s")
                .doesNotContain("203.0.113.");
        assertThat(accessLines(log).stream().filter(l -> l.contains("/v1/model"))).hasSize(12)
                .allSatisfy(line -> assertThat(line.split(" ")[1]).isEqualTo("127.0.0.1"));
    }

    @Test
    void behindATrustedProxyWrongKeysLockOnlyTheForwardedClient() throws Exception {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        try (Server server = start(keyed().withTrustedProxies(List.of("127.0.0.1")), log)) {
            for (int i = 0; i < 10; i++) {
                error(model(server, WRONG, "203.0.113.7"), 401, "unauthorized");
            }
            HttpResponse<String> refused = model(server, KEY, "203.0.113.7");
            error(refused, 429, "too_many_failures");
            assertThat(refused.headers().firstValue("Retry-After")).isPresent();
            assertThat(model(server, KEY, "203.0.113.8").statusCode()).as("another client").isEqualTo(200);
            assertThat(model(server, KEY, null).statusCode()).as("the proxy itself").isEqualTo(200);
        }
        assertThat(log.toString(StandardCharsets.UTF_8))
                .containsOnlyOnce("refusing 203.0.113.7 (429): 10 wrong API keys within 60 s")
                .doesNotContain("refusing 127.0.0.1");
    }

    @Test
    void aSpoofedChainFromTheTrustedProxyCountsItsRightMostEntry() throws Exception {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        try (Server server = start(keyed().withTrustedProxies(List.of("127.0.0.1")), log)) {
            for (int i = 0; i < 10; i++) {
                error(model(server, WRONG, "1.2.3." + (4 + i) + ", 203.0.113.7"), 401, "unauthorized");
            }
            error(model(server, KEY, "203.0.113.7"), 429, "too_many_failures");
            error(model(server, KEY, "1.2.3.4, 203.0.113.7"), 429, "too_many_failures");
            assertThat(model(server, KEY, "1.2.3.4").statusCode()).as("the spoofed entries were not counted")
                    .isEqualTo(200);
            assertThat(model(server, KEY, "203.0.113.7, 127.0.0.1").statusCode()).as("right-most not trusted")
                    .isEqualTo(429);
        }
        assertThat(log.toString(StandardCharsets.UTF_8)).containsOnlyOnce("refusing 203.0.113.7 (429)")
                .doesNotContain("refusing 1.2.3.");
    }

    @Test
    void theAuditAndAccessLogsNameTheForwardedClient() throws Exception {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Path audit = dir.resolve("forwarded-audit.jsonl");
        String id;
        try (Server server = start(keyed().withTrustedProxies(List.of("127.0.0.1", "10.0.0.5")).withAuditLog(audit),
                log)) {
            HttpResponse<String> answer = model(server, KEY, "198.51.100.23, 10.0.0.5");
            assertThat(answer.statusCode()).isEqualTo(200);
            id = answer.headers().firstValue("X-Request-Id").orElseThrow();
        }
        List<JsonNode> lines = new ArrayList<>();
        for (String line : Files.readAllLines(audit)) {
            lines.add(Json.MAPPER.readTree(line));
        }
        assertThat(lines).extracting(n -> n.get("event").asText()).containsExactly("start", "end");
        assertThat(lines).extracting(n -> n.get("requestId").asText()).containsExactly(id, id);
        assertThat(lines).extracting(n -> n.get("client").asText()).containsExactly("198.51.100.23", "198.51.100.23");
        List<String> access = accessLines(log);
        assertThat(access).hasSize(1);
        assertThat(access.get(0).split(" ")).startsWith(access.get(0).split(" ")[0], "198.51.100.23", "GET",
                "/v1/model", "200");
        assertThat(access.get(0)).contains("id=" + id).doesNotContain("malformed");
    }

    @Test
    void aMalformedForwardedForFromTheTrustedProxyIsLoggedOnceAndThePeerIsUsed() throws Exception {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Path audit = dir.resolve("malformed-audit.jsonl");
        try (Server server = start(keyed().withTrustedProxies(List.of("127.0.0.1")).withAuditLog(audit), log)) {
            for (int i = 0; i < 10; i++) {
                error(model(server, WRONG, "203.0.113.7, evil.example"), 401, "unauthorized");
            }
            error(model(server, KEY, "unknown"), 429, "too_many_failures");
            assertThat(model(server, KEY, "203.0.113.8").statusCode()).as("a well-formed client").isEqualTo(200);
        }
        List<String> access = accessLines(log).stream().filter(l -> l.contains("/v1/model")).toList();
        assertThat(access).hasSize(12);
        assertThat(access.subList(0, 11)).allSatisfy(line -> {
            assertThat(line.split(" ")[1]).isEqualTo("127.0.0.1");
            assertThat(line).containsOnlyOnce(" forwarded=malformed").doesNotContain("evil");
        });
        assertThat(access.get(11)).contains(" 203.0.113.8 GET /v1/model 200 ").doesNotContain("malformed");
        String all = log.toString(StandardCharsets.UTF_8);
        assertThat(all).containsOnlyOnce("refusing 127.0.0.1 (429)");
        assertThat(all.split("forwarded=malformed", -1)).as("once per request").hasSize(12);
        assertThat(Files.readString(audit)).doesNotContain("evil").doesNotContain("malformed");
    }

    @Test
    void theClientIsFoundWithoutNameLookupsFromTheRightAndAllTrustedGivesTheLeftMost() {
        ClientAddress clients = ClientAddress.trusting(List.of("127.0.0.1", "::1", "10.0.0.5"));
        assertThat(clients.resolve("127.0.0.1", List.of("203.0.113.7"))).isEqualTo(new ClientAddress.Found("203.0.113.7", false));
        assertThat(clients.resolve("[0:0:0:0:0:0:0:1]", List.of("2001:db8::7", "10.0.0.5")))
                .as("a peer as Jetty writes IPv6; two header lines, in order")
                .isEqualTo(new ClientAddress.Found("[2001:db8:0:0:0:0:0:7]", false));
        assertThat(clients.resolve("127.0.0.1", List.of("10.0.0.5, 127.0.0.1"))).as("all trusted: the left-most")
                .isEqualTo(new ClientAddress.Found("10.0.0.5", false));
        assertThat(clients.resolve("127.0.0.1", List.of())).isEqualTo(new ClientAddress.Found("127.0.0.1", false));
        assertThat(clients.resolve("192.0.2.1", List.of("203.0.113.7"))).as("an untrusted peer")
                .isEqualTo(new ClientAddress.Found("192.0.2.1", false));
        for (String bad : List.of("localhost", "unknown", "203.0.113.7,", "256.1.1.1", "1.2.3", "", "2001:db8::g",
                "203.0.113.7:443", "fe80::1%eth0")) {
            assertThat(clients.resolve("127.0.0.1", List.of(bad))).as(bad)
                    .isEqualTo(new ClientAddress.Found("127.0.0.1", true));
        }
        assertThat(clients.resolve("127.0.0.1", List.of("garbage, 203.0.113.7"))).as("left of the client: not read")
                .isEqualTo(new ClientAddress.Found("203.0.113.7", false));
        assertThat(ClientAddress.DIRECT.resolve("127.0.0.1", List.of("203.0.113.7")))
                .isEqualTo(new ClientAddress.Found("127.0.0.1", false));
    }

    @Test
    void serveRefusesATrustedProxyThatIsNoAddress() {
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true), "serve", "--model",
                tiny.model().toString(), "--port", "0", "--trusted-proxies", "127.0.0.1,proxy.example");
        assertThat(code).isEqualTo(1);
        assertThat(err.toString().trim()).isEqualTo("error: --trusted-proxies: 'proxy.example' is no IP address; give "
                + "the proxies' addresses such as 127.0.0.1,10.0.0.5 (no names, no ranges)");
    }
}
