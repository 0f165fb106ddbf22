package io.pneuknow.studio;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.pneuknow.Json;
import io.pneuknow.annotate.AnnotationDatabase;
import io.pneuknow.annotate.AnnotationStore;
import io.pneuknow.annotate.Credentials;
import io.pneuknow.annotate.ImageEntry;
import io.pneuknow.annotate.Role;
import io.pneuknow.serve.AuditLog;
import io.pneuknow.serve.TestDicom;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
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
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The workspace's server as a browser uses it, over real HTTP: 10,000 images paged and filtered, pixels windowed
 * by the server (a hand-computed pixel), DICOM pixels without header text, a conflicting edit answered 409 with
 * both versions, CSRF and role refusals, and the audit lines of a view and a change.
 */
class StudioServerTest {
    static final int IMAGES = 10_000;
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    static Path dir;
    static AnnotationDatabase database;
    static AnnotationStore store;
    static StudioServer server;
    static Path audit;
    static final ByteArrayOutputStream ACCESS = new ByteArrayOutputStream();
    static final String ANNOTATOR_KEY = Credentials.newKey();
    static final String REVIEWER_KEY = Credentials.newKey();
    static final String ADMIN_KEY = Credentials.newKey();

    /** A signed-in browser: its session cookie and CSRF token. */
    record Browser(String cookie, String csrf) {
    }

    /**
     * Images img00000..img09999: class pneumonia when i % 4 == 0 (else normal), part val when i % 10 >= 8 (else
     * train); img00000 is a 4x1 PNG with grey 51, 153, 204, 0; img00001 a 16x16 DICOM with patient identifiers.
     */
    @BeforeAll
    static void start() throws Exception {
        BufferedImage strip = new BufferedImage(4, 1, BufferedImage.TYPE_BYTE_GRAY);
        int[] greys = {51, 153, 204, 0};
        for (int x = 0; x < 4; x++) {
            strip.getRaster().setSample(x, 0, 0, greys[x]);
        }
        ImageIO.write(strip, "png", dir.resolve("strip.png").toFile());
        BufferedImage square = new BufferedImage(16, 16, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < 16; y++) {
            for (int x = 0; x < 16; x++) {
                square.getRaster().setSample(x, y, 0, x * 16);
            }
        }
        ImageIO.write(square, "png", dir.resolve("square.png").toFile());
        TestDicom.fromPng(dir.resolve("square.png"), dir.resolve("patient.dcm"));

        database = AnnotationDatabase.open("annotations", dir, true);
        store = new AnnotationStore(database);
        List<ImageEntry> images = new ArrayList<>();
        for (int i = 0; i < IMAGES; i++) {
            String file = i == 0 ? "strip.png" : i == 1 ? "patient.dcm" : "missing/" + i + ".png";
            images.add(new ImageEntry(String.format(Locale.ROOT, "img%05d", i), file, i % 4 == 0 ? "pneumonia" : "normal",
                    i % 10 >= 8 ? "val" : "train"));
        }
        store.putImages(images);
        store.addPerson("ann", Role.ANNOTATOR, Credentials.hash(ANNOTATOR_KEY));
        store.addPerson("rev", Role.REVIEWER, Credentials.hash(REVIEWER_KEY));
        store.addPerson("boss", Role.ADMIN, Credentials.hash(ADMIN_KEY));
        audit = dir.resolve("audit.log");
        server = StudioServer.start(store, new StudioServer.Settings("127.0.0.1", 0, dir, false,
                AuditLog.Options.of(audit), List.of()), new PrintStream(ACCESS, true, StandardCharsets.UTF_8));
    }

    @AfterAll
    static void stop() {
        server.close();
        database.close();
    }

    static HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path));
    }

    static HttpResponse<byte[]> send(HttpRequest request) throws Exception {
        return HTTP.send(request, HttpResponse.BodyHandlers.ofByteArray());
    }

    static JsonNode json(HttpResponse<byte[]> response) throws Exception {
        return Json.MAPPER.readTree(response.body());
    }

    static Browser signIn(String name, String key) throws Exception {
        HttpResponse<byte[]> answer = send(request("/api/login").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\": \"" + name + "\", \"key\": \"" + key + "\"}")).build());
        assertThat(answer.statusCode()).isEqualTo(200);
        String setCookie = answer.headers().firstValue("Set-Cookie").orElseThrow();
        return new Browser(setCookie.substring(0, setCookie.indexOf(';')), json(answer).at("/value/csrfToken").asText());
    }

    static HttpResponse<byte[]> get(Browser browser, String path) throws Exception {
        return send(request(path).header("Cookie", browser.cookie()).GET().build());
    }

    static HttpResponse<byte[]> change(Browser browser, String method, String path, String body) throws Exception {
        return send(request(path).header("Cookie", browser.cookie()).header("Content-Type", "application/json")
                .header("X-CSRF-Token", browser.csrf()).method(method, HttpRequest.BodyPublishers.ofString(body)).build());
    }

    static List<String> ids(JsonNode page) {
        List<String> ids = new ArrayList<>();
        page.at("/value/images").forEach(image -> ids.add(image.get("id").asText()));
        return ids;
    }

    @Test
    void signInSetsAStrictHttpOnlyCookieAndAWrongKeyIsRefused() throws Exception {
        HttpResponse<byte[]> answer = send(request("/api/login").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\": \"ann\", \"key\": \"" + ANNOTATOR_KEY + "\"}")).build());
        assertThat(answer.headers().firstValue("Set-Cookie").orElseThrow()).contains("HttpOnly", "SameSite=Strict")
                .doesNotContain("Secure");
        assertThat(json(answer).at("/value/role").asText()).isEqualTo("annotator");
        HttpResponse<byte[]> wrong = send(request("/api/login").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\": \"ann\", \"key\": \"nope\"}")).build());
        assertThat(wrong.statusCode()).isEqualTo(401);
        assertThat(json(wrong).get("requestId").asText()).isNotEmpty();
        HttpResponse<byte[]> anonymous = send(request("/api/images").GET().build());
        assertThat(anonymous.statusCode()).isEqualTo(401);
        assertThat(json(anonymous).get("code").asText()).isEqualTo("unauthorized");
    }

    @Test
    void aSecureCookieOnRequestAndWrongKeysAreLimitedPerAddress() throws Exception {
        try (StudioServer secure = StudioServer.start(store, new StudioServer.Settings("127.0.0.1", 0, dir, true, null,
                List.of()), new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8))) {
            URI login = URI.create("http://127.0.0.1:" + secure.port() + "/api/login");
            HttpResponse<byte[]> right = send(HttpRequest.newBuilder(login).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"name\": \"rev\", \"key\": \"" + REVIEWER_KEY + "\"}")).build());
            assertThat(right.headers().firstValue("Set-Cookie").orElseThrow()).contains("; Secure", "HttpOnly", "SameSite=Strict");
            List<Integer> statuses = new ArrayList<>();
            for (int i = 0; i < 11; i++) {
                statuses.add(send(HttpRequest.newBuilder(login).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"name\": \"rev\", \"key\": \"wrong\"}")).build()).statusCode());
            }
            assertThat(statuses.subList(0, 10)).containsOnly(401);
            assertThat(statuses.get(10)).as("the eleventh wrong key within a minute").isEqualTo(429);
        }
    }

    @Test
    void tenThousandImagesPageInIdOrderWithFilters() throws Exception {
        Browser ann = signIn("ann", ANNOTATOR_KEY);
        JsonNode first = json(get(ann, "/api/images?limit=3"));
        assertThat(first.at("/value/total").asInt()).isEqualTo(IMAGES);
        assertThat(ids(first)).containsExactly("img00000", "img00001", "img00002");
        JsonNode last = json(get(ann, "/api/images?offset=9990&limit=50"));
        assertThat(ids(last)).hasSize(10).startsWith("img09990").endsWith("img09999");
        JsonNode pneumonia = json(get(ann, "/api/images?class=pneumonia&offset=100&limit=3"));
        assertThat(pneumonia.at("/value/total").asInt()).isEqualTo(2500);
        assertThat(ids(pneumonia)).containsExactly("img00400", "img00404", "img00408");
        // i % 4 == 0 and i % 10 in {8, 9}: i % 20 == 8, so 500 of 10,000
        JsonNode valPneumonia = json(get(ann, "/api/images?class=pneumonia&part=val&limit=2"));
        assertThat(valPneumonia.at("/value/total").asInt()).isEqualTo(500);
        assertThat(ids(valPneumonia)).containsExactly("img00008", "img00028");

        long slowest = 0;
        for (int offset = 0; offset < IMAGES; offset += 1000) {
            long started = System.nanoTime();
            HttpResponse<byte[]> page = get(ann, "/api/images?limit=50&offset=" + offset);
            slowest = Math.max(slowest, (System.nanoTime() - started) / 1_000_000);
            assertThat(ids(json(page))).hasSize(50).first().isEqualTo(String.format(Locale.ROOT, "img%05d", offset));
        }
        System.out.println("studio: slowest page of 50 among 10,000 images: " + slowest + " ms");
        assertThat(slowest).isLessThan(2000);
    }

    @Test
    void thePageItsSizesFacetsAndTheExport() throws Exception {
        HttpResponse<byte[]> page = send(request("/").GET().build());
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Security-Policy").orElseThrow()).contains("script-src 'self'");
        String html = new String(page.body(), StandardCharsets.UTF_8);
        assertThat(html).as("the drawing page when the jar has its web components, else the page saying how to get them")
                .contains(WebPage.bundled() ? "/vendor/openseadragon-annotorious.min.js" : "apt-get install npm");
        assertThat(send(request("/studio.js").GET().build()).headers().firstValue("Content-Type").orElseThrow())
                .startsWith("text/javascript");
        assertThat(send(request("/vendor/../studio.js").GET().build()).statusCode()).isEqualTo(404);
        assertThat(send(request("/vendor/package.json").GET().build()).statusCode()).isEqualTo(404);

        Browser ann = signIn("ann", ANNOTATOR_KEY);
        JsonNode strip = json(get(ann, "/api/images/img00000")).get("value");
        assertThat(strip.get("width").asInt()).isEqualTo(4);
        assertThat(strip.get("height").asInt()).isEqualTo(1);
        JsonNode dicom = json(get(ann, "/api/images/img00001")).get("value");
        assertThat(dicom.get("width").asInt()).isEqualTo(16);
        JsonNode missing = json(get(ann, "/api/images/img00017")).get("value");
        assertThat(missing.get("width").isNull()).as("a file not in the data folder: no size, regions still listed").isTrue();
        assertThat(json(get(ann, "/api/me")).at("/value/csrfToken").asText()).isEqualTo(ann.csrf());

        JsonNode facets = json(get(ann, "/api/facets")).get("value");
        assertThat(facets.get("classes").toString()).isEqualTo("[\"normal\",\"pneumonia\"]");
        assertThat(facets.get("parts").toString()).isEqualTo("[\"train\",\"val\"]");

        assertThat(change(ann, "POST", "/api/images/img00020/regions",
                "{\"type\": \"lesion\", \"label\": \"opacity\", \"box\": {\"x\": 7, \"y\": 8, \"width\": 9, \"height\": 10}}")
                .statusCode()).isEqualTo(201);
        HttpResponse<byte[]> csv = get(ann, "/api/export/regions.csv");
        assertThat(csv.statusCode()).isEqualTo(200);
        assertThat(csv.headers().firstValue("Content-Disposition").orElseThrow()).contains("regions.csv");
        assertThat(new String(csv.body(), StandardCharsets.UTF_8).lines())
                .startsWith("image_id,x,y,w,h,label,region_type,mask_file").contains("img00020,7,8,9,10,opacity,lesion,");
        assertThat(send(request("/api/export/regions.csv").GET().build()).statusCode()).as("signed in only").isEqualTo(401);
    }

    @Test
    void annotatedAndNoFindingFiltersFollowTheChanges() throws Exception {
        Browser ann = signIn("ann", ANNOTATOR_KEY);
        assertThat(change(ann, "POST", "/api/images/img00012/regions",
                "{\"type\": \"lesion\", \"label\": \"opacity\", \"box\": {\"x\": 1, \"y\": 2, \"width\": 3, \"height\": 4}}")
                .statusCode()).isEqualTo(201);
        assertThat(change(ann, "POST", "/api/images/img00016/regions",
                "{\"type\": \"lung\", \"label\": \"left\", \"polygon\": [[0, 0], [4, 0], [4, 5]]}").statusCode()).isEqualTo(201);
        HttpResponse<byte[]> marked = change(ann, "PUT", "/api/images/img00013/no-finding", "{\"baseVersion\": 0, \"marked\": true}");
        assertThat(marked.statusCode()).isEqualTo(200);
        JsonNode annotated = json(get(ann, "/api/images?annotated=true&class=pneumonia&offset=0&limit=500"));
        assertThat(ids(annotated)).contains("img00012", "img00016").doesNotContain("img00013");
        assertThat(json(get(ann, "/api/images?noFinding=true")).at("/value/images/0/id").asText()).isEqualTo("img00013");
        JsonNode polygon = json(get(ann, "/api/images/img00016")).at("/value/regions/0");
        assertThat(polygon.at("/author").asText()).isEqualTo("ann");
        assertThat(polygon.at("/geometry/box/width").asInt()).isEqualTo(4);
        assertThat(polygon.at("/geometry/box/height").asInt()).isEqualTo(5);
    }

    @Test
    void pixelsAreWindowedByTheServer() throws Exception {
        Browser ann = signIn("ann", ANNOTATOR_KEY);
        // window centre 0.5, width 0.4: 0.3 shows black, 0.7 white; 153/255 = 0.6 -> (0.6 - 0.3) / 0.4 * 255 = 191.25
        HttpResponse<byte[]> full = get(ann, "/api/images/img00000/pixels.png?size=4&centre=0.5&width=0.4");
        assertThat(full.statusCode()).isEqualTo(200);
        assertThat(full.headers().firstValue("Content-Type").orElseThrow()).isEqualTo("image/png");
        BufferedImage shown = ImageIO.read(new ByteArrayInputStream(full.body()));
        assertThat(shown.getWidth()).isEqualTo(4);
        assertThat(shown.getRaster().getPixels(0, 0, 4, 1, (int[]) null)).containsExactly(0, 191, 255, 0);
        // half size: (51 + 153) / 2 = (204 + 0) / 2 = 102 -> 0.4 -> (0.4 - 0.3) / 0.4 * 255 = 63.75
        BufferedImage half = ImageIO.read(new ByteArrayInputStream(
                get(ann, "/api/images/img00000/pixels.png?size=2&centre=0.5&width=0.4").body()));
        assertThat(half.getRaster().getPixels(0, 0, 2, 1, (int[]) null)).containsExactly(64, 64);
        HttpResponse<byte[]> badWindow = get(ann, "/api/images/img00000/pixels.png?width=0");
        assertThat(badWindow.statusCode()).isEqualTo(400);
        assertThat(json(badWindow).get("requestId").asText()).isNotEmpty();
    }

    @Test
    void dicomPixelsComeWithoutHeaderText() throws Exception {
        Browser ann = signIn("ann", ANNOTATOR_KEY);
        HttpResponse<byte[]> png = get(ann, "/api/images/img00001/pixels.png?size=16");
        assertThat(png.statusCode()).isEqualTo(200);
        BufferedImage shown = ImageIO.read(new ByteArrayInputStream(png.body()));
        assertThat(shown.getWidth()).isEqualTo(16);
        // the gradient survives (JPEG inside the DICOM file is lossy): dark on the left, bright on the right
        assertThat(shown.getRaster().getSample(0, 8, 0)).isLessThan(30);
        assertThat(shown.getRaster().getSample(15, 8, 0)).isGreaterThan(210);
        HttpResponse<byte[]> thumbnail = get(ann, "/api/images/img00001/thumbnail.png");
        assertThat(ImageIO.read(new ByteArrayInputStream(thumbnail.body())).getWidth()).isEqualTo(StudioServer.THUMBNAIL_SIDE);
        String details = new String(get(ann, "/api/images/img00001").body(), StandardCharsets.UTF_8);
        for (byte[] body : List.of(png.body(), thumbnail.body(), details.getBytes(StandardCharsets.UTF_8))) {
            String text = new String(body, StandardCharsets.ISO_8859_1);
            for (String identifier : TestDicom.IDENTIFIERS) {
                assertThat(text).doesNotContain(identifier);
            }
        }
        assertThat(details).doesNotContain("patient.dcm");
    }

    @Test
    void aStaleEditIsAnswered409WithBothVersions() throws Exception {
        Browser ann = signIn("ann", ANNOTATOR_KEY);
        Browser boss = signIn("boss", ADMIN_KEY);
        JsonNode created = json(change(ann, "POST", "/api/images/img00020/regions",
                "{\"type\": \"lesion\", \"label\": \"first\", \"box\": {\"x\": 0, \"y\": 0, \"width\": 2, \"height\": 2}}"));
        long id = created.at("/value/id").asLong();
        assertThat(created.at("/value/version").asInt()).isEqualTo(1);
        HttpResponse<byte[]> annEdit = change(ann, "PUT", "/api/regions/" + id,
                "{\"baseVersion\": 1, \"type\": \"lesion\", \"label\": \"ann's\", \"box\": {\"x\": 1, \"y\": 1, \"width\": 2, \"height\": 2}}");
        assertThat(annEdit.statusCode()).isEqualTo(200);
        assertThat(json(annEdit).at("/value/version").asInt()).isEqualTo(2);
        HttpResponse<byte[]> bossEdit = change(boss, "PUT", "/api/regions/" + id,
                "{\"baseVersion\": 1, \"type\": \"lesion\", \"label\": \"boss's\", \"box\": {\"x\": 5, \"y\": 5, \"width\": 2, \"height\": 2}}");
        assertThat(bossEdit.statusCode()).isEqualTo(409);
        JsonNode conflict = json(bossEdit);
        assertThat(conflict.get("code").asText()).isEqualTo("conflict");
        assertThat(conflict.get("requestId").asText()).isNotEmpty();
        assertThat(conflict.at("/theirs/version").asInt()).isEqualTo(2);
        assertThat(conflict.at("/theirs/label").asText()).isEqualTo("ann's");
        assertThat(conflict.at("/yours/version").asInt()).isEqualTo(1);
        assertThat(conflict.at("/yours/label").asText()).isEqualTo("boss's");
        assertThat(conflict.at("/yours/geometry/box/x").asInt()).isEqualTo(5);
        // overwriting: the same edit against theirs' version is saved as version 3, and the history keeps all three
        assertThat(change(boss, "PUT", "/api/regions/" + id, "{\"baseVersion\": 2, \"type\": \"lesion\", \"label\": \"boss's\", "
                + "\"box\": {\"x\": 5, \"y\": 5, \"width\": 2, \"height\": 2}}").statusCode()).isEqualTo(200);
        JsonNode history = json(get(ann, "/api/regions/" + id + "/history")).at("/value/versions");
        assertThat(history).hasSize(3);
        assertThat(history.get(2).get("changedBy").asText()).isEqualTo("boss");
        assertThat(change(ann, "DELETE", "/api/regions/" + id + "?baseVersion=3", "").statusCode()).isEqualTo(200);
    }

    @Test
    void aChangeWithoutTheCsrfTokenIsRefusedAndNothingIsWritten() throws Exception {
        Browser ann = signIn("ann", ANNOTATOR_KEY);
        String body = "{\"type\": \"lesion\", \"label\": \"x\", \"box\": {\"x\": 0, \"y\": 0, \"width\": 2, \"height\": 2}}";
        HttpResponse<byte[]> without = send(request("/api/images/img00030/regions").header("Cookie", ann.cookie())
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build());
        assertThat(without.statusCode()).isEqualTo(403);
        assertThat(json(without).get("code").asText()).isEqualTo("csrf");
        HttpResponse<byte[]> wrong = change(new Browser(ann.cookie(), "0".repeat(64)), "POST", "/api/images/img00030/regions", body);
        assertThat(wrong.statusCode()).isEqualTo(403);
        Browser other = signIn("ann", ANNOTATOR_KEY);
        assertThat(change(new Browser(ann.cookie(), other.csrf()), "POST", "/api/images/img00030/regions", body).statusCode())
                .as("another session's token").isEqualTo(403);
        assertThat(store.regions("img00030")).isEmpty();
        HttpResponse<byte[]> form = send(request("/api/login").header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("name=ann&key=" + ANNOTATOR_KEY)).build());
        assertThat(form.statusCode()).as("a cross-site form cannot sign in").isEqualTo(415);
    }

    @Test
    void rolesAreEnforced() throws Exception {
        Browser ann = signIn("ann", ANNOTATOR_KEY);
        Browser rev = signIn("rev", REVIEWER_KEY);
        long id = json(change(ann, "POST", "/api/images/img00040/regions",
                "{\"type\": \"lesion\", \"label\": \"x\", \"box\": {\"x\": 0, \"y\": 0, \"width\": 2, \"height\": 2}}")).at("/value/id").asLong();
        HttpResponse<byte[]> selfReview = change(ann, "POST", "/api/regions/" + id + "/review",
                "{\"baseVersion\": 1, \"verdict\": \"accepted\"}");
        assertThat(selfReview.statusCode()).isEqualTo(403);
        assertThat(json(selfReview).get("code").asText()).isEqualTo("forbidden_role");
        HttpResponse<byte[]> reviewerDraws = change(rev, "POST", "/api/images/img00040/regions",
                "{\"type\": \"lesion\", \"label\": \"y\", \"box\": {\"x\": 0, \"y\": 0, \"width\": 2, \"height\": 2}}");
        assertThat(reviewerDraws.statusCode()).isEqualTo(403);
        HttpResponse<byte[]> review = change(rev, "POST", "/api/regions/" + id + "/review", "{\"baseVersion\": 1, \"verdict\": \"accepted\"}");
        assertThat(review.statusCode()).isEqualTo(200);
        assertThat(json(review).at("/value/review").asText()).isEqualTo("accepted");
        assertThat(json(review).at("/value/reviewer").asText()).isEqualTo("rev");
        assertThat(store.regions("img00040")).hasSize(1);
    }

    @Test
    void badRequestsAreJsonErrorsAndTheServerGoesOn() throws Exception {
        Browser ann = signIn("ann", ANNOTATOR_KEY);
        for (HttpResponse<byte[]> bad : List.of(
                change(ann, "POST", "/api/images/img00050/regions", "{not json"),
                change(ann, "POST", "/api/images/img00050/regions", "{\"type\": \"lesion\", \"label\": \"x\"}"),
                change(ann, "PUT", "/api/regions/abc", "{}"),
                get(ann, "/api/images?limit=100000"),
                get(ann, "/api/images?annotated=maybe"),
                get(ann, "/api/images/nope"),
                get(ann, "/api/images/img00002/pixels.png"),
                get(ann, "/no/such/route"))) {
            assertThat(bad.statusCode()).isBetween(400, 499);
            JsonNode error = json(bad);
            assertThat(error.get("requestId").asText()).isNotEmpty();
            assertThat(error.get("message").asText()).doesNotContain("Exception").doesNotContain("\n");
        }
        assertThat(get(ann, "/api/me").statusCode()).isEqualTo(200);
    }

    @Test
    void viewsAndChangesAreAudited() throws Exception {
        Browser ann = signIn("ann", ANNOTATOR_KEY);
        assertThat(get(ann, "/api/images/img00000/pixels.png").statusCode()).isEqualTo(200);
        long id = json(change(ann, "POST", "/api/images/img00060/regions",
                "{\"type\": \"lesion\", \"label\": \"x\", \"box\": {\"x\": 0, \"y\": 0, \"width\": 2, \"height\": 2}}")).at("/value/id").asLong();
        List<JsonNode> lines = new ArrayList<>();
        for (String line : Files.readAllLines(audit)) {
            lines.add(Json.MAPPER.readTree(line));
        }
        assertThat(lines).anySatisfy(line -> {
            assertThat(line.get("principal").asText()).isEqualTo("ann");
            assertThat(line.get("route").asText()).isEqualTo("/api/images/img00000/pixels.png");
            assertThat(line.get("result").asText()).isEqualTo("view image img00000");
        });
        assertThat(lines).anySatisfy(line -> {
            assertThat(line.get("principal").asText()).isEqualTo("ann");
            assertThat(line.get("method").asText()).isEqualTo("POST");
            assertThat(line.get("status").asInt()).isEqualTo(201);
            assertThat(line.get("result").asText()).isEqualTo("create region " + id + " version 1 on image img00060");
        });
    }
}
