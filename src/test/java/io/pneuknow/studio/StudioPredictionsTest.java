package io.pneuknow.studio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import io.pneuknow.Json;
import io.pneuknow.annotate.AnnotationDatabase;
import io.pneuknow.annotate.AnnotationStore;
import io.pneuknow.annotate.Credentials;
import io.pneuknow.annotate.ImageEntry;
import io.pneuknow.annotate.Role;
import io.pneuknow.api.Classifier;
import io.pneuknow.api.FilePrediction;
import io.pneuknow.browser.Browser;
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
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code studio --model}'s predictions as the list serves them: a tiny model trained here predicts every image of
 * the database in the background (a missing and an unreadable file skipped with one line each), and the list's
 * prediction filters return exactly the images whose prediction, computed again here with {@link Classifier}, is
 * that class, or right, or wrong. A second run after a restart predicts nothing again.
 */
class StudioPredictionsTest {
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final String KEY = Credentials.newKey();

    @TempDir
    static Path dir;
    static Path data;
    static Path model;
    static AnnotationDatabase database;
    static AnnotationStore store;
    static ModelPredictions predictions;
    static StudioServer server;
    static final ByteArrayOutputStream PROGRESS = new ByteArrayOutputStream();
    /** The images whose files can be predicted, by id: their class and their prediction computed independently. */
    static final Map<String, String> CLASS_OF = new TreeMap<>();
    static final Map<String, String> PREDICTED = new TreeMap<>();
    static final Map<String, Double> PROBABILITY = new TreeMap<>();

    /**
     * A synthetic data set (64 px, 3 classes) imported into the database, plus two images whose files cannot be
     * predicted (one missing, one not an image); a tiny_cnn trained one epoch at 32 px; the studio serving it.
     */
    @BeforeAll
    static void start() throws Exception {
        data = dir.resolve("data");
        model = dir.resolve("model");
        cli("data", "synthetic", "--out", data.toString(), "--train", "12", "--val", "3", "--test", "3", "--image-size", "64");
        cli("annotations", "import", "--data", data.toString(), "--split-column", "split");
        cli("train", "--data", data.toString(), "--architecture", "tiny_cnn", "--input-size", "32", "--epochs", "1",
                "--method", "baseline", "--threads", "1", "--out", model.toString());
        database = AnnotationDatabase.open("annotations", data, false);
        store = new AnnotationStore(database);
        for (ImageEntry image : store.images()) {
            CLASS_OF.put(image.id(), image.className());
        }
        Files.writeString(data.resolve("broken.png"), "not a PNG");
        store.putImages(List.of(new ImageEntry("zz_broken", "broken.png", "normal", "test"),
                new ImageEntry("zz_ghost", "missing/ghost.png", "normal", "test")));
        store.addPerson("ann", Role.ANNOTATOR, Credentials.hash(KEY));

        // the independent predictions: the same files in the same order and batches as the studio's
        List<String> ids = new ArrayList<>(CLASS_OF.keySet());
        List<Path> files = ids.stream().map(id -> data.resolve(store.image(id).orElseThrow().file())).toList();
        try (Classifier classifier = Classifier.open(model)) {
            List<FilePrediction> all = new ArrayList<>();
            classifier.predictFiles(files, ModelPredictions.BATCH, 1, all::addAll);
            for (int i = 0; i < ids.size(); i++) {
                PREDICTED.put(ids.get(i), all.get(i).prediction().predictedClass());
                PROBABILITY.put(ids.get(i), (double) all.get(i).prediction().probability(PREDICTED.get(ids.get(i))));
            }
        }

        predictions = ModelPredictions.open(model, store, data, new PrintStream(PROGRESS, true, StandardCharsets.UTF_8));
        server = StudioServer.start(store, new StudioServer.Settings("127.0.0.1", 0, data, false, null, List.of()),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), predictions, null);
        predictions.start();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
        if (predictions != null) {
            predictions.close();
        }
        if (database != null) {
            database.close();
        }
    }

    @Test
    void theListFiltersByThePredictionsComputedInTheBackground() throws Exception {
        String cookie = signIn(server);
        JsonNode model = awaitPredictions(cookie);
        int readable = CLASS_OF.size();
        assertThat(readable).isGreaterThanOrEqualTo(9);
        assertThat(model.get("id").asText()).isEqualTo(predictions.modelId()).hasSize(12);
        assertThat(model.get("predicted").asInt()).isEqualTo(readable);
        assertThat(model.get("total").asInt()).isEqualTo(readable + 2);
        assertThat(model.get("skipped").asInt()).isEqualTo(2);

        List<String> classes = new ArrayList<>();
        model.get("classes").forEach(c -> classes.add(c.asText()));
        assertThat(classes).containsExactlyInAnyOrderElementsOf(CLASS_OF.values().stream().distinct().toList());
        int byClass = 0;
        for (String label : classes) {
            List<String> expected = PREDICTED.entrySet().stream().filter(e -> e.getValue().equals(label)).map(Map.Entry::getKey).toList();
            JsonNode page = get(cookie, "/api/images?limit=500&predicted=" + label);
            assertThat(ids(page)).as("predicted=" + label).containsExactlyElementsOf(expected);
            byClass += page.at("/value/total").asInt();
        }
        assertThat(byClass).isEqualTo(readable);

        List<String> right = PREDICTED.keySet().stream().filter(id -> PREDICTED.get(id).equals(CLASS_OF.get(id))).toList();
        List<String> wrong = PREDICTED.keySet().stream().filter(id -> !PREDICTED.get(id).equals(CLASS_OF.get(id))).toList();
        JsonNode rightPage = get(cookie, "/api/images?limit=500&correct=true");
        JsonNode wrongPage = get(cookie, "/api/images?limit=500&correct=false");
        assertThat(ids(rightPage)).containsExactlyElementsOf(right);
        assertThat(ids(wrongPage)).containsExactlyElementsOf(wrong);
        assertThat(rightPage.at("/value/total").asInt() + wrongPage.at("/value/total").asInt()).isEqualTo(readable);
        // combined with the class filter: the wrong predictions among one class's images
        String firstClass = classes.get(0);
        assertThat(ids(get(cookie, "/api/images?limit=500&correct=false&class=" + firstClass))).containsExactlyElementsOf(
                wrong.stream().filter(id -> CLASS_OF.get(id).equals(firstClass)).toList());

        // each row and each image carries its prediction; the skipped images none
        for (JsonNode row : get(cookie, "/api/images?limit=500").at("/value/images")) {
            String id = row.get("id").asText();
            if (id.startsWith("zz_")) {
                assertThat(row.get("prediction").isNull()).as(id).isTrue();
            } else {
                assertThat(row.at("/prediction/label").asText()).as(id).isEqualTo(PREDICTED.get(id));
                assertThat(row.at("/prediction/probability").asDouble()).as(id).isCloseTo(PROBABILITY.get(id), within(1e-6));
            }
        }
        String first = PREDICTED.keySet().iterator().next();
        assertThat(get(cookie, "/api/images/" + first).at("/value/prediction/label").asText()).isEqualTo(PREDICTED.get(first));
        assertThat(get(cookie, "/api/images/zz_ghost").at("/value/prediction").isNull()).isTrue();

        // an unknown class is refused with the model's classes
        HttpResponse<byte[]> unknown = send(server, "/api/images?predicted=zebra", cookie);
        assertThat(unknown.statusCode()).isEqualTo(400);
        assertThat(Json.MAPPER.readTree(unknown.body()).get("message").asText())
                .isEqualTo("predicted 'zebra' is not a class of model " + predictions.modelId() + "; give one of "
                        + String.join(", ", classes));

        String progress = PROGRESS.toString(StandardCharsets.UTF_8);
        assertThat(progress.lines()).contains(
                "model " + predictions.modelId() + ": 0 of " + (readable + 2) + " images predicted already, "
                        + (readable + 2) + " to predict",
                "image zz_ghost skipped: its file missing/ghost.png is not in the data folder",
                "predicted " + readable + " of " + (readable + 2) + " images");
        assertThat(progress.lines().filter(line -> line.startsWith("image zz_broken skipped: "))).hasSize(1);
        assertThat(progress.lines().filter(line -> line.startsWith("predicted "))).as("one line per batch of 16")
                .hasSize((readable + ModelPredictions.BATCH - 1) / ModelPredictions.BATCH);
    }

    @Test
    void aRestartReusesTheStoredPredictions() throws Exception {
        awaitPredictions(signIn(server));
        ByteArrayOutputStream again = new ByteArrayOutputStream();
        ModelPredictions second = ModelPredictions.open(model, store, data, new PrintStream(again, true, StandardCharsets.UTF_8));
        try {
            second.start();
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (second.running()) {
                assertThat(System.nanoTime()).as("the second run ends").isLessThan(deadline);
                Thread.sleep(50);
            }
        } finally {
            second.close();
        }
        int readable = CLASS_OF.size();
        assertThat(again.toString(StandardCharsets.UTF_8).lines()).as("only the two skipped images are tried again").containsExactly(
                "model " + predictions.modelId() + ": " + readable + " of " + (readable + 2) + " images predicted already, 2 to predict",
                "image zz_ghost skipped: its file missing/ghost.png is not in the data folder",
                again.toString(StandardCharsets.UTF_8).lines().filter(l -> l.startsWith("image zz_broken")).findFirst().orElse("(none)"),
                "predicted " + readable + " of " + (readable + 2) + " images");
        assertThat(store.predictionProgress(predictions.modelId())).isEqualTo(new AnnotationStore.PredictionProgress(readable, readable + 2));
    }

    @Test
    void withoutAModelThePredictionFiltersAreRefusedAndTheFacetsSayNone() throws Exception {
        try (StudioServer plain = StudioServer.start(store, new StudioServer.Settings("127.0.0.1", 0, data, false, null, List.of()),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8))) {
            String cookie = signIn(plain);
            for (String query : List.of("predicted=normal", "correct=true")) {
                HttpResponse<byte[]> refused = send(plain, "/api/images?" + query, cookie);
                assertThat(refused.statusCode()).as(query).isEqualTo(400);
                assertThat(Json.MAPPER.readTree(refused.body()).get("message").asText()).isEqualTo("predicted and correct filter "
                        + "by the served model's predictions, and no model is served; start the studio with --model DIR");
            }
            JsonNode facets = Json.MAPPER.readTree(send(plain, "/api/facets", cookie).body()).get("value");
            assertThat(facets.get("model").isNull()).isTrue();
            assertThat(Json.MAPPER.readTree(send(plain, "/api/images?limit=1", cookie).body()).at("/value/images/0/prediction").isNull())
                    .isTrue();
        }
    }

    @Test
    void thePageFiltersRightAndWrongAndShowsEachRowsPrediction() throws Exception {
        awaitPredictions(signIn(server));
        Duration wait = Duration.ofSeconds(30);
        try (Browser browser = Browser.launch(dir.resolve("browser"))) {
            browser.send("Page.addScriptToEvaluateOnNewDocument", Map.of("source", StudioBrowserTest.WATCH));
            browser.send("Page.navigate", Map.of("url", "http://127.0.0.1:" + server.port() + "/"));
            browser.waitFor("document.getElementById('login') && !document.getElementById('login').hidden", wait);
            browser.click("#login-name");
            browser.type("ann");
            browser.click("#login-key");
            browser.type(KEY);
            browser.click("#login button[type=submit]");
            browser.waitFor("document.body.dataset.viewer", wait);
            int readable = CLASS_OF.size();
            assertThat(browser.text("#prediction-progress")).isEqualTo("model " + predictions.modelId() + ": predicted "
                    + readable + " of " + (readable + 2) + " (2 skipped)");
            List<String> options = new ArrayList<>();
            browser.evaluate("[...document.querySelectorAll('#filter-prediction option')].map(o => o.textContent)")
                    .forEach(o -> options.add(o.asText()));
            List<String> expectedOptions = new ArrayList<>(List.of("any"));
            predictions.classes().forEach(c -> expectedOptions.add("predicted " + c));
            expectedOptions.addAll(List.of("right", "wrong"));
            assertThat(options).containsExactlyElementsOf(expectedOptions);

            for (boolean right : List.of(false, true)) {
                List<String> expected = PREDICTED.keySet().stream()
                        .filter(id -> PREDICTED.get(id).equals(CLASS_OF.get(id)) == right).toList();
                browser.evaluate("(() => { const s = document.getElementById('filter-prediction'); s.value = '"
                        + (right ? "right" : "wrong") + "'; s.dispatchEvent(new Event('change')); return true; })()");
                browser.waitFor("[...document.querySelectorAll('#image-list li')].map(li => li.dataset.id).join(',') === "
                        + Browser.quote(String.join(",", expected)), wait);
                for (String id : expected) {
                    String badge = "#image-list li[data-id='" + id + "'] .badge.prediction";
                    assertThat(browser.text(badge)).isEqualTo("model: " + PREDICTED.get(id) + " "
                            + String.format(java.util.Locale.ROOT, "%.2f", PROBABILITY.get(id)));
                    assertThat(browser.evaluate("document.querySelector(" + Browser.quote(badge) + ").className").asText())
                            .isEqualTo("badge prediction " + (right ? "right" : "wrong"));
                }
                if (!right) {
                    browser.screenshot(Path.of("target/browser/studio-predictions-wrong.png"));
                }
            }
            assertThat(browser.evaluate("JSON.stringify(window.__problems)").asText()).isEqualTo("[]");
        }
    }

    /** Polls the facets until the background run has ended; answers the facets' model. */
    private static JsonNode awaitPredictions(String cookie) throws Exception {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (true) {
            JsonNode model = get(cookie, "/api/facets").at("/value/model");
            if (!model.get("running").asBoolean()) {
                return model;
            }
            assertThat(System.nanoTime()).as("the predictions end within a minute").isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    private static String signIn(StudioServer on) throws Exception {
        HttpResponse<byte[]> answer = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + on.port() + "/api/login"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\": \"ann\", \"key\": \"" + KEY + "\"}")).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(answer.statusCode()).isEqualTo(200);
        String setCookie = answer.headers().firstValue("Set-Cookie").orElseThrow();
        return setCookie.substring(0, setCookie.indexOf(';'));
    }

    private static HttpResponse<byte[]> send(StudioServer on, String path, String cookie) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + on.port() + path)).header("Cookie", cookie)
                .GET().build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static JsonNode get(String cookie, String path) throws Exception {
        HttpResponse<byte[]> answer = send(server, path, cookie);
        assertThat(answer.statusCode()).as(path).isEqualTo(200);
        return Json.MAPPER.readTree(answer.body());
    }

    private static List<String> ids(JsonNode page) {
        List<String> ids = new ArrayList<>();
        page.at("/value/images").forEach(image -> ids.add(image.get("id").asText()));
        return ids;
    }

    private static void cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        assertThat(code).as(String.join(" ", args) + "\n" + out + err).isZero();
    }
}
