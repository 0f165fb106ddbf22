package io.pneuknow.studio;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.pneuknow.Json;
import io.pneuknow.annotate.AnnotationDatabase;
import io.pneuknow.annotate.AnnotationStore;
import io.pneuknow.annotate.Credentials;
import io.pneuknow.annotate.Geometry;
import io.pneuknow.annotate.ImageEntry;
import io.pneuknow.annotate.Person;
import io.pneuknow.annotate.RegionDraft;
import io.pneuknow.annotate.Role;
import io.pneuknow.annotate.StoredRegion;
import io.pneuknow.queue.Candidate;
import io.pneuknow.queue.Strategy;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /api/queue} over real HTTP on a small hand-made database ({@link #fixture}): the default order is random
 * and equals {@link Strategy#rank} of the candidates computed here; the test part (named {@code test} or
 * {@code Holdout}) is never offered; coverage's order is the one worked out by hand from the classes' annotated counts;
 * an image leaves the queue once it has a region or a "no finding" mark; an unknown strategy is answered 400 naming it
 * and the six, a model-based one without a model 409 saying what it needs, and the server answers on afterwards.
 */
class StudioQueueApiTest {
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final String KEY = Credentials.newKey();
    /** The candidates' classes and ids, and the classes' annotated counts, as the fixture makes them. */
    static final List<String> CLASSES = List.of("alpha", "beta", "gamma");
    static final int[] ANNOTATED = {2, 0, 1};

    @TempDir
    static Path dir;
    static AnnotationDatabase database;
    static AnnotationStore store;
    static StudioServer server;
    static Person ann;
    static String cookie;

    /**
     * Unannotated training (and validation) images: alpha a1 a2 a3, beta b1 b2, gamma g1. Annotated: alpha a8 and a9
     * (a region each), gamma g9 ("no finding" mark), so alpha 2, beta 0, gamma 1. Test part, unannotated: t1 (part
     * "test"), t2 (part "Holdout"). Every image a 32 x 32 grey PNG.
     */
    static void fixture(AnnotationStore store, Path dir, Person person) throws Exception {
        List<ImageEntry> images = new ArrayList<>();
        String[][] rows = {{"a1", "alpha", "train"}, {"a2", "alpha", "train"}, {"a3", "alpha", "val"}, {"b1", "beta", "train"},
                {"b2", "beta", "train"}, {"g1", "gamma", "train"}, {"a8", "alpha", "train"}, {"a9", "alpha", "train"},
                {"g9", "gamma", "train"}, {"t1", "alpha", "test"}, {"t2", "beta", "Holdout"}};
        int shade = 20;
        for (String[] row : rows) {
            BufferedImage image = new BufferedImage(32, 32, BufferedImage.TYPE_BYTE_GRAY);
            for (int y = 0; y < 32; y++) {
                for (int x = 0; x < 32; x++) {
                    image.getRaster().setSample(x, y, 0, (shade + x * 4) % 256);
                }
            }
            shade += 20;
            ImageIO.write(image, "png", dir.resolve(row[0] + ".png").toFile());
            images.add(new ImageEntry(row[0], row[0] + ".png", row[1], row[2]));
        }
        store.putImages(images);
        store.createRegion("a8", new RegionDraft("lesion", "alpha", Geometry.box(2, 2, 10, 10)), person);
        store.createRegion("a9", new RegionDraft("lesion", "alpha", Geometry.box(4, 4, 10, 10)), person);
        store.markNoFinding("g9", store.noFinding("g9").version(), true, person);
    }

    /** The fixture's candidates (id, class index) as {@link Strategy#rank} takes them, in any order. */
    static List<Candidate> candidates(List<String> ids) {
        return ids.stream().map(id -> new Candidate(id, null, "abg".indexOf(id.charAt(0)))).toList();
    }

    @BeforeAll
    static void start() throws Exception {
        database = AnnotationDatabase.open("annotations", dir, true);
        store = new AnnotationStore(database);
        ann = store.addPerson("ann", Role.ANNOTATOR, Credentials.hash(KEY));
        fixture(store, dir, ann);
        server = StudioServer.start(store, new StudioServer.Settings("127.0.0.1", 0, dir, false, null, List.of()),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        HttpResponse<String> login = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/api/login"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                        "{\"name\": \"ann\", \"key\": \"" + KEY + "\"}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(login.statusCode()).isEqualTo(200);
        String setCookie = login.headers().firstValue("Set-Cookie").orElseThrow();
        cookie = setCookie.substring(0, setCookie.indexOf(';'));
    }

    @AfterAll
    static void stop() {
        server.close();
        database.close();
    }

    static HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).header("Cookie", cookie)
                .GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode value(String path) throws Exception {
        HttpResponse<String> answer = get(path);
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        return Json.MAPPER.readTree(answer.body()).path("value");
    }

    static List<String> ids(JsonNode queue) {
        List<String> ids = new ArrayList<>();
        queue.path("images").forEach(i -> ids.add(i.path("id").asText()));
        return ids;
    }

    @Test
    void theDefaultIsRandomInStrategyRanksOrderAndTheTestPartIsNeverOffered() throws Exception {
        JsonNode queue = value("/api/queue");
        assertThat(queue.path("strategy").asText()).isEqualTo("random");
        assertThat(queue.path("defaultStrategy").asText()).isEqualTo("random");
        assertThat(queue.path("defaultReason").asText()).startsWith("Random order: no strategy has beaten it in our simulations")
                .contains("docs/results.md");
        List<String> expected = Strategy.RANDOM.rank(candidates(List.of("g1", "b2", "b1", "a3", "a2", "a1")), ANNOTATED,
                AnnotationQueue.DEFAULT_SEED);
        assertThat(ids(queue)).isEqualTo(expected).containsExactlyInAnyOrder("a1", "a2", "a3", "b1", "b2", "g1");
        assertThat(queue.path("seed").asLong()).isEqualTo(AnnotationQueue.DEFAULT_SEED);
        assertThat(queue.path("testImages").asInt()).as("t1 (test) and t2 (Holdout)").isEqualTo(2);
        assertThat(queue.path("candidates").asInt()).isEqualTo(6);
        assertThat(queue.path("images").get(0).path("rank").asInt()).isEqualTo(1);
        assertThat(queue.path("images").get(0).path("reason").isNull()).as("random gives no reason").isTrue();

        // another seed is another shuffle, still Strategy.rank's
        assertThat(ids(value("/api/queue?strategy=random&seed=7"))).isEqualTo(Strategy.RANDOM.rank(
                candidates(expected), ANNOTATED, 7));
        // a page of it
        JsonNode page = value("/api/queue?strategy=random&offset=2&limit=3");
        assertThat(ids(page)).isEqualTo(expected.subList(2, 5));
        assertThat(page.path("images").get(0).path("rank").asInt()).isEqualTo(3);
        assertThat(page.path("total").asInt()).isEqualTo(6);

        // the strategies as the page offers them: what each needs, and that no model is here
        JsonNode strategies = queue.path("strategies");
        assertThat(strategies).extracting(s -> s.path("name").asText())
                .containsExactly("random", "stratified", "uncertainty", "disagreement", "coverage", "combination");
        assertThat(strategies).extracting(s -> s.path("available").asBoolean()).containsExactly(true, true, false, false, true, false);
        assertThat(strategies.get(3).path("needs").asText()).isEqualTo("an HKD model (its student and teacher)");
        assertThat(queue.path("model").isNull()).isTrue();
    }

    @Test
    void coverageFillsTheLeastAnnotatedClassFirstAsWorkedOutByHand() throws Exception {
        JsonNode queue = value("/api/queue?strategy=coverage");
        List<String> classes = new ArrayList<>();
        List<String> reasons = new ArrayList<>();
        queue.path("images").forEach(i -> {
            classes.add(i.path("className").asText());
            reasons.add(i.path("reason").asText());
        });
        // counts alpha 2, beta 0, gamma 1: beta (0); beta and gamma tie at 1, beta's index is lower; gamma (1); then
        // beta has none left and gamma is at 2 with none left: alpha's three
        assertThat(classes).containsExactly("beta", "beta", "gamma", "alpha", "alpha", "alpha");
        assertThat(reasons).containsExactly("beta (0 so far)", "beta (1 so far)", "gamma (1 so far)", "alpha (2 so far)",
                "alpha (3 so far)", "alpha (4 so far)");
        List<String> random = Strategy.RANDOM.rank(candidates(List.of("a1", "a2", "a3", "b1", "b2", "g1")), ANNOTATED,
                AnnotationQueue.DEFAULT_SEED);
        List<String> withinAlpha = random.stream().filter(id -> id.startsWith("a")).toList();
        assertThat(ids(queue).subList(3, 6)).as("within a class, the random order").isEqualTo(withinAlpha);
        assertThat(ids(queue)).isEqualTo(Strategy.COVERAGE.rank(candidates(random), ANNOTATED, AnnotationQueue.DEFAULT_SEED));
        assertThat(value("/api/queue?strategy=stratified").path("images").get(0).path("reason").asText())
                .as("stratified names the class").isIn(CLASSES);
    }

    @Test
    void anUnknownStrategyIs400AModelStrategyWithoutAModel409AndTheServerAnswersOn() throws Exception {
        HttpResponse<String> unknown = get("/api/queue?strategy=entropy");
        assertThat(unknown.statusCode()).isEqualTo(400);
        JsonNode error = Json.MAPPER.readTree(unknown.body());
        assertThat(error.path("code").asText()).isEqualTo("unknown_strategy");
        assertThat(error.path("message").asText()).isEqualTo("strategy 'entropy' is unknown; use one of random, stratified, "
                + "uncertainty, disagreement, coverage, combination");
        assertThat(get("/api/queue?strategy=").statusCode()).isEqualTo(400);
        assertThat(get("/api/queue?limit=0").statusCode()).isEqualTo(400);
        assertThat(get("/api/queue?seed=x").statusCode()).isEqualTo(400);
        for (String strategy : List.of("uncertainty", "disagreement", "combination")) {
            HttpResponse<String> refused = get("/api/queue?strategy=" + strategy);
            assertThat(refused.statusCode()).as(strategy).isEqualTo(409);
            JsonNode body = Json.MAPPER.readTree(refused.body());
            assertThat(body.path("code").asText()).isEqualTo("model_required");
            assertThat(body.path("message").asText()).startsWith(strategy + " needs a").contains("this studio has none",
                    "--model DIR", "promote a registered model");
        }
        assertThat(Json.MAPPER.readTree(get("/api/queue?strategy=uncertainty").body()).path("message").asText())
                .startsWith("uncertainty needs a model (its student)");
        assertThat(get("/api/queue?strategy=random").statusCode()).as("still answering").isEqualTo(200);
    }

    @Test
    void anImageLeavesTheQueueOnceItHasARegionOrANoFindingMark() throws Exception {
        List<String> before = ids(value("/api/queue?strategy=random&limit=500"));
        String first = before.get(0);
        String second = before.get(1);
        StoredRegion region = store.createRegion(first, new RegionDraft("lesion", "x", Geometry.box(1, 1, 5, 5)), ann);
        try {
            assertThat(ids(value("/api/queue?strategy=random&limit=500"))).doesNotContain(first).hasSize(before.size() - 1);
            store.markNoFinding(second, store.noFinding(second).version(), true, ann);
            assertThat(ids(value("/api/queue?strategy=random&limit=500"))).doesNotContain(first, second).hasSize(before.size() - 2);
        } finally {
            // a deleted region is no region, a cleared mark no mark: both are back, and the fixture is as it was
            store.deleteRegion(region.id(), region.version(), ann);
            store.markNoFinding(second, store.noFinding(second).version(), false, ann);
        }
        assertThat(ids(value("/api/queue?strategy=random&limit=500"))).isEqualTo(before);
    }
}
