package io.pneuknow.studio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import io.pneuknow.Json;
import io.pneuknow.annotate.AnnotationDatabase;
import io.pneuknow.annotate.AnnotationStore;
import io.pneuknow.annotate.Credentials;
import io.pneuknow.annotate.Geometry;
import io.pneuknow.annotate.ImageEntry;
import io.pneuknow.annotate.Role;
import io.pneuknow.annotate.StoredRegion;
import io.pneuknow.api.Classifier;
import io.pneuknow.api.FilePrediction;
import io.pneuknow.browser.Browser;
import io.pneuknow.cli.Main;
import io.pneuknow.image.GreyImage;
import java.awt.image.BufferedImage;
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
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code studio --model}'s predictions as the list serves them: a tiny model trained here predicts every image of
 * the database in the background (a missing and an unreadable file skipped with one line each), and the list's
 * prediction filters return exactly the images whose prediction, computed again here with {@link Classifier}, is
 * that class, or right, or wrong. A second run after a restart predicts nothing again. The review: the share of the
 * predicted class's Grad-CAM inside each image's lesion masks, computed again here from the mask files, is what the
 * studio stored; the disagreement filter and count are the images predicted wrong or whose share is below the masks'
 * area share; the heat-map overlay's opacity is that Grad-CAM; a region drawn on the coldest or the hottest tile of
 * the heat map raises or clears the flag; the page overlays the heat map and filters by disagreements.
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
    /** Every class's probability per predictable image, as the queue's uncertainty reads them. */
    static final Map<String, double[]> PROBABILITIES = new TreeMap<>();
    /** Per predicted image: the predicted class's Grad-CAM, its share inside the lesion masks and their area share. */
    static final Map<String, GreyImage> HEAT = new TreeMap<>();
    static final Map<String, Double> HEAT_INSIDE = new TreeMap<>();
    static final Map<String, Double> REGION_AREA = new TreeMap<>();

    /**
     * A synthetic data set (64 px, 3 classes) imported into the database with its lesion masks, plus two images whose
     * files cannot be predicted (one missing, one not an image); a tiny_cnn trained one epoch at 64 px; the studio
     * serving it.
     */
    @BeforeAll
    static void start() throws Exception {
        data = dir.resolve("data");
        model = dir.resolve("model");
        cli("data", "synthetic", "--out", data.toString(), "--train", "12", "--val", "3", "--test", "3", "--image-size", "64");
        cli("annotations", "import", "--data", data.toString(), "--regions", "regions.csv", "--split-column", "split");
        // at 64 px tiny_cnn's last feature map is 2 x 2 (at 32 px it is 1 x 1, and every heat map would be flat)
        cli("train", "--data", data.toString(), "--architecture", "tiny_cnn", "--input-size", "64", "--epochs", "1",
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
                String id = ids.get(i);
                PREDICTED.put(id, all.get(i).prediction().predictedClass());
                PROBABILITY.put(id, (double) all.get(i).prediction().probability(PREDICTED.get(id)));
                float[] p = all.get(i).prediction().probabilities();
                double[] copy = new double[p.length];
                for (int c = 0; c < p.length; c++) {
                    copy[c] = p[c];
                }
                PROBABILITIES.put(id, copy);
                GreyImage heat = classifier.heatMap(all.get(i).image().image(), all.get(i).prediction().predictedIndex());
                HEAT.put(id, heat);
                boolean[] inside = lesionMasks(id, heat.width(), heat.height());
                if (inside != null) {
                    double in = 0;
                    double total = 0;
                    int area = 0;
                    for (int k = 0; k < inside.length; k++) {
                        total += heat.pixels()[k];
                        in += inside[k] ? heat.pixels()[k] : 0;
                        area += inside[k] ? 1 : 0;
                    }
                    HEAT_INSIDE.put(id, total == 0 ? null : in / total);
                    REGION_AREA.put(id, (double) area / inside.length);
                }
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
            for (String query : List.of("predicted=normal", "correct=true", "disagree=true")) {
                HttpResponse<byte[]> refused = send(plain, "/api/images?" + query, cookie);
                assertThat(refused.statusCode()).as(query).isEqualTo(400);
                assertThat(Json.MAPPER.readTree(refused.body()).get("message").asText()).isEqualTo("predicted, correct and "
                        + "disagree filter by the served model's predictions, and no model is served; start the studio with --model DIR");
            }
            String first = CLASS_OF.keySet().iterator().next();
            assertError(send(plain, "/api/images/" + first + "/heatmap.png", cookie), 404,
                    "this studio serves no model, so there are no heat maps; start it with --model DIR");
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
            expectedOptions.addAll(List.of("right", "wrong", "model disagrees (" + expectedDisagreements().size() + ")"));
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

    @Test
    void thePageFlagsDisagreementsAndOverlaysTheHeatMap() throws Exception {
        awaitPredictions(signIn(server));
        Duration wait = Duration.ofSeconds(30);
        List<String> disagree = expectedDisagreements();
        try (Browser browser = Browser.launch(dir.resolve("browser-review"))) {
            browser.send("Page.addScriptToEvaluateOnNewDocument", Map.of("source", StudioBrowserTest.WATCH));
            browser.send("Page.navigate", Map.of("url", "http://127.0.0.1:" + server.port() + "/"));
            browser.waitFor("document.getElementById('login') && !document.getElementById('login').hidden", wait);
            browser.click("#login-name");
            browser.type("ann");
            browser.click("#login-key");
            browser.type(KEY);
            browser.click("#login button[type=submit]");
            browser.waitFor("document.body.dataset.viewer", wait);
            assertThat(browser.visible("#heat-controls")).isTrue();

            // the disagreements: exactly the expected rows, each flagged with its reasons
            browser.evaluate("(() => { const s = document.getElementById('filter-prediction'); s.value = 'disagree'; "
                    + "s.dispatchEvent(new Event('change')); return true; })()");
            browser.waitFor("[...document.querySelectorAll('#image-list li')].map(li => li.dataset.id).join(',') === "
                    + Browser.quote(String.join(",", disagree)), wait);
            for (String id : disagree) {
                List<String> flags = new ArrayList<>();
                browser.evaluate("[...document.querySelectorAll(\"#image-list li[data-id='" + id + "'] .badge.disagree\")]"
                        + ".map(b => b.textContent)").forEach(f -> flags.add(f.asText()));
                assertThat(flags).as(id).containsExactlyElementsOf(flagTexts(id));
            }
            // the first is open in the viewer, its flag above it
            browser.waitFor("document.body.dataset.viewer === " + Browser.quote(disagree.get(0)), wait);
            assertThat(browser.text("#review-flag")).isEqualTo(String.join(" · ", flagTexts(disagree.get(0))));
            browser.screenshot(Path.of("target/browser/studio-review-disagreements.png"));

            // the heat map over the hottest image: its hottest pixel turns towards the overlay's colour, and back at opacity 0
            // (opened as the list opens one, which may be on another page: nothing else is loading now)
            String id = hottestImage();
            browser.evaluate("openImage(" + Browser.quote(id) + ").then(() => true)");
            try {
                browser.waitFor("document.body.dataset.viewer === " + Browser.quote(id) + " && viewer.world.getItemCount() === 1 "
                        + "&& viewer.world.getItemAt(0).getFullyLoaded()", wait);
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + "; the page: " + browser.evaluate("JSON.stringify([document.body.dataset.viewer, "
                        + "viewer.world.getItemCount(), viewer.world.getItemCount() && viewer.world.getItemAt(0).getFullyLoaded(), "
                        + "state.imageId, window.__problems])").asText(), e);
            }
            GreyImage heat = HEAT.get(id);
            int hot = 0;
            for (int k = 1; k < heat.pixels().length; k++) {
                hot = heat.pixels()[k] > heat.pixels()[hot] ? k : hot;
            }
            JsonNode at = browser.evaluate("(() => { const p = viewer.world.getItemAt(0).imageToViewerElementCoordinates("
                    + "new OpenSeadragon.Point(" + (hot % heat.width() + 0.5) + ", " + (hot / heat.width() + 0.5) + ")); "
                    + "const box = document.getElementById('viewer').getBoundingClientRect(); "
                    + "return [box.left + p.x, box.top + p.y]; })()");
            double x = at.get(0).asDouble();
            double y = at.get(1).asDouble();
            Thread.sleep(500); // the viewer's opening animation
            int[] before = browser.pixel(x, y);
            browser.evaluate("(() => { const s = document.getElementById('heat-opacity'); s.value = '100'; "
                    + "s.dispatchEvent(new Event('input')); return true; })()");
            browser.click("#heat-toggle");
            browser.waitFor("document.body.dataset.heat === " + Browser.quote(id), wait);
            int[] on = waitForPixel(browser, x, y, p -> (p[0] - before[0]) + (before[2] - p[2]) > 100, wait);
            // heat v over grey g at full opacity: red 255, blue 0 where v = 1 (the hottest pixel)
            assertThat(on[0]).as("red at the hottest pixel, was " + java.util.Arrays.toString(before)).isGreaterThan(230);
            assertThat(on[2]).as("blue at the hottest pixel").isLessThan(25);
            browser.screenshot(Path.of("target/browser/studio-review-heatmap.png"));
            browser.evaluate("(() => { const s = document.getElementById('heat-opacity'); s.value = '0'; "
                    + "s.dispatchEvent(new Event('input')); return true; })()");
            waitForPixel(browser, x, y, p -> Math.abs(p[0] - before[0]) <= 3 && Math.abs(p[2] - before[2]) <= 3, wait);
            // switched off: the overlay leaves the viewer
            browser.click("#heat-toggle");
            browser.waitFor("viewer.world.getItemCount() === 1 && !document.body.dataset.heat", wait);
            assertThat(browser.evaluate("JSON.stringify(window.__problems)").asText()).isEqualTo("[]");
        }
    }

    /** The flags the page shows for an image, as the page words them. */
    private static List<String> flagTexts(String id) {
        List<String> texts = new ArrayList<>();
        if (!PREDICTED.get(id).equals(CLASS_OF.get(id))) {
            texts.add("model disagrees: predicts " + PREDICTED.get(id));
        }
        Double inside = HEAT_INSIDE.get(id);
        if (inside != null && inside < REGION_AREA.get(id)) {
            texts.add("heat mostly outside the regions (" + percent(inside) + " inside, " + percent(REGION_AREA.get(id))
                    + " by chance)");
        }
        return texts;
    }

    /** As the page writes a share: whole percent, one decimal below 10 %. */
    private static String percent(double share) {
        return (share < 0.1 ? String.format(java.util.Locale.ROOT, "%.1f", share * 100) : Long.toString(Math.round(share * 100)))
                + " %";
    }

    /** Polls the colour at a point until it meets {@code condition}; answers it. */
    private static int[] waitForPixel(Browser browser, double x, double y, java.util.function.Predicate<int[]> condition,
                                      Duration wait) throws Exception {
        long deadline = System.nanoTime() + wait.toNanos();
        int[] pixel = browser.pixel(x, y);
        while (!condition.test(pixel)) {
            assertThat(System.nanoTime()).as("the colour at (%.0f, %.0f) is still %s", x, y, java.util.Arrays.toString(pixel))
                    .isLessThan(deadline);
            Thread.sleep(100);
            pixel = browser.pixel(x, y);
        }
        return pixel;
    }

    /** The union of the image's imported lesion masks (the synthetic data's regions are mask files), or null. */
    private static boolean[] lesionMasks(String id, int width, int height) throws Exception {
        boolean[] inside = null;
        for (StoredRegion region : store.regions(id)) {
            if (!region.draft().type().equals("lesion")) {
                continue;
            }
            assertThat(region.draft().geometry().kind()).isEqualTo(Geometry.Kind.MASK);
            BufferedImage mask = ImageIO.read(data.resolve(region.draft().geometry().maskFile()).toFile());
            assertThat(new int[] {mask.getWidth(), mask.getHeight()}).containsExactly(width, height);
            inside = inside == null ? new boolean[width * height] : inside;
            for (int y = 0; y < height; y++) {
                for (int x = 0; x < width; x++) {
                    inside[y * width + x] |= mask.getRaster().getSample(x, y, 0) > 0;
                }
            }
        }
        return inside;
    }

    /** The images a reviewer should look at, computed here: predicted wrong, or heat share below the area share. */
    private static List<String> expectedDisagreements() {
        return PREDICTED.keySet().stream().filter(id -> !PREDICTED.get(id).equals(CLASS_OF.get(id))
                || (HEAT_INSIDE.get(id) != null && HEAT_INSIDE.get(id) < REGION_AREA.get(id))).toList();
    }

    @Test
    void theHeatSharesAreStoredAndTheDisagreementsFilteredAndCounted() throws Exception {
        String cookie = signIn(server);
        JsonNode model = awaitPredictions(cookie);
        assertThat(REGION_AREA).as("the fixture has images with lesion masks").hasSizeGreaterThanOrEqualTo(3);
        assertThat(HEAT_INSIDE.values()).as("and heat on them").anyMatch(v -> v != null && v > 0);
        for (JsonNode row : get(cookie, "/api/images?limit=500").at("/value/images")) {
            String id = row.get("id").asText();
            if (id.startsWith("zz_")) {
                continue;
            }
            JsonNode p = row.get("prediction");
            if (HEAT_INSIDE.get(id) == null) {
                assertThat(p.get("heatInside").isNull()).as(id).isTrue();
            } else {
                assertThat(p.get("heatInside").asDouble()).as(id).isCloseTo(HEAT_INSIDE.get(id), within(1e-5));
            }
            if (REGION_AREA.get(id) == null) {
                assertThat(p.get("regionArea").isNull()).as(id).isTrue();
            } else {
                assertThat(p.get("regionArea").asDouble()).as(id).isEqualTo(REGION_AREA.get(id));
            }
            boolean wrong = !PREDICTED.get(id).equals(CLASS_OF.get(id));
            boolean heatOff = HEAT_INSIDE.get(id) != null && HEAT_INSIDE.get(id) < REGION_AREA.get(id);
            assertThat(p.get("disagrees").asBoolean()).as(id).isEqualTo(wrong || heatOff);
            List<String> reasons = new ArrayList<>();
            p.get("reasons").forEach(r -> reasons.add(r.asText()));
            List<String> expectedReasons = new ArrayList<>();
            if (wrong) {
                expectedReasons.add("class");
            }
            if (heatOff) {
                expectedReasons.add("heat");
            }
            assertThat(reasons).as(id).containsExactlyElementsOf(expectedReasons);
        }
        List<String> disagree = expectedDisagreements();
        assertThat(disagree).as("a one-epoch model disagrees somewhere").isNotEmpty();
        assertThat(ids(get(cookie, "/api/images?limit=500&disagree=true"))).containsExactlyElementsOf(disagree);
        assertThat(ids(get(cookie, "/api/images?limit=500&disagree=false"))).containsExactlyElementsOf(
                PREDICTED.keySet().stream().filter(id -> !disagree.contains(id)).toList());
        assertThat(model.get("disagreements").asInt()).isEqualTo(disagree.size());
        HttpResponse<byte[]> bad = send(server, "/api/images?disagree=maybe", cookie);
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(Json.MAPPER.readTree(bad.body()).get("message").asText()).isEqualTo("disagree must be true or false");
    }

    @Test
    void theHeatMapOverlayIsTheModelsGradCamAtTheImagesGeometry() throws Exception {
        String cookie = signIn(server);
        awaitPredictions(cookie);
        String id = hottestImage();
        GreyImage heat = HEAT.get(id);
        HttpResponse<byte[]> answer = send(server, "/api/images/" + id + "/heatmap.png?size=" + heat.width(), cookie);
        assertThat(answer.statusCode()).isEqualTo(200);
        assertThat(answer.headers().firstValue("Content-Type")).contains("image/png");
        BufferedImage overlay = ImageIO.read(new java.io.ByteArrayInputStream(answer.body()));
        assertThat(new int[] {overlay.getWidth(), overlay.getHeight()}).containsExactly(heat.width(), heat.height());
        int opaque = 0;
        for (int y = 0; y < heat.height(); y++) {
            for (int x = 0; x < heat.width(); x++) {
                int argb = overlay.getRGB(x, y);
                int expected = Math.round(Math.max(0, Math.min(1, heat.get(x, y))) * 255);
                assertThat(argb >>> 24).as("opacity at (%d, %d)", x, y).isCloseTo(expected, within(1));
                assertThat(argb >> 16 & 255).isEqualTo(255);
                opaque += (argb >>> 24) > 0 ? 1 : 0;
            }
        }
        assertThat(opaque).as("the overlay is not all transparent").isPositive();
        // another size: the same geometry as the image rendered at that size
        for (int side : new int[] {40, 100}) {
            BufferedImage scaled = ImageIO.read(new java.io.ByteArrayInputStream(
                    send(server, "/api/images/" + id + "/heatmap.png?size=" + side, cookie).body()));
            BufferedImage pixels = ImageIO.read(new java.io.ByteArrayInputStream(
                    send(server, "/api/images/" + id + "/pixels.png?size=" + side, cookie).body()));
            assertThat(new int[] {scaled.getWidth(), scaled.getHeight()}).containsExactly(pixels.getWidth(), pixels.getHeight());
        }
        // refusals, each a JSON error naming the value and the remedy
        assertError(send(server, "/api/images/" + id + "/heatmap.png?size=0", cookie), 400, "size must be between 1 and 4096, got 0");
        assertError(send(server, "/api/images/nope/heatmap.png", cookie), 404,
                "no image 'nope' in the database; import the data set (pneuknow annotations import)");
        assertError(send(server, "/api/images/zz_ghost/heatmap.png", cookie), 404,
                "the file of image zz_ghost is not in the data folder; check --data");
        HttpResponse<byte[]> broken = send(server, "/api/images/zz_broken/heatmap.png", cookie);
        assertThat(broken.statusCode()).isEqualTo(422);
        assertThat(Json.MAPPER.readTree(broken.body()).get("message").asText()).startsWith("image zz_broken cannot be read: ");
        // the server still answers
        assertThat(send(server, "/api/images/" + id + "/heatmap.png?size=64", cookie).statusCode()).isEqualTo(200);
    }

    @Test
    void aRegionOnTheColdestTileRaisesTheHeatFlagAndOneOnTheHottestClearsIt() throws Exception {
        awaitPredictions(signIn(server));
        // an image without lesion regions whose heat is not flat: its 8 x 8 tiles (an exact tiling of 64 px) hold on
        // average exactly their area share of the heat, so the coldest holds less and the hottest more
        String id = PREDICTED.keySet().stream().filter(i -> REGION_AREA.get(i) == null && tileShares(HEAT.get(i)).length > 0)
                .findFirst().orElseThrow(() -> new AssertionError("no image to draw on among " + HEAT.size()));
        boolean wrong = !PREDICTED.get(id).equals(CLASS_OF.get(id));
        double[] tiles = tileShares(HEAT.get(id));
        int coldest = 0;
        int hottest = 0;
        for (int t = 1; t < tiles.length; t++) {
            coldest = tiles[t] < tiles[coldest] ? t : coldest;
            hottest = tiles[t] > tiles[hottest] ? t : hottest;
        }
        double area = 64.0 / (64 * 64);
        assertThat(tiles[coldest]).isLessThan(area);
        assertThat(tiles[hottest]).isGreaterThan(area);
        Session ann = session(server);
        HttpResponse<byte[]> created = ann.send("POST", "/api/images/" + id + "/regions", box(coldest, 0));
        assertThat(created.statusCode()).isEqualTo(201);
        JsonNode region = Json.MAPPER.readTree(created.body()).get("value");
        try {
            assertThat(predictions.heat().awaitIdle(60_000)).isTrue();
            JsonNode p = get(ann.cookie(), "/api/images/" + id).at("/value/prediction");
            assertThat(p.get("heatInside").asDouble()).isCloseTo(tiles[coldest], within(1e-5));
            assertThat(p.get("regionArea").asDouble()).isEqualTo(area);
            assertThat(p.get("reasons").toString()).isEqualTo(wrong ? "[\"class\",\"heat\"]" : "[\"heat\"]");
            assertThat(ids(get(ann.cookie(), "/api/images?limit=500&disagree=true"))).contains(id);

            HttpResponse<byte[]> moved = ann.send("PUT", "/api/regions/" + region.get("id").asLong(),
                    box(hottest, region.get("version").asInt()));
            assertThat(moved.statusCode()).isEqualTo(200);
            region = Json.MAPPER.readTree(moved.body()).get("value");
            assertThat(predictions.heat().awaitIdle(60_000)).isTrue();
            p = get(ann.cookie(), "/api/images/" + id).at("/value/prediction");
            assertThat(p.get("heatInside").asDouble()).isCloseTo(tiles[hottest], within(1e-5));
            assertThat(p.get("reasons").toString()).isEqualTo(wrong ? "[\"class\"]" : "[]");
            assertThat(p.get("disagrees").asBoolean()).isEqualTo(wrong);
            assertThat(ids(get(ann.cookie(), "/api/images?limit=500&disagree=true")).contains(id)).isEqualTo(wrong);
        } finally {
            assertThat(ann.send("DELETE", "/api/regions/" + region.get("id").asLong() + "?baseVersion="
                    + region.get("version").asInt(), "").statusCode()).isEqualTo(200);
            assertThat(predictions.heat().awaitIdle(60_000)).isTrue();
        }
        JsonNode p = get(ann.cookie(), "/api/images/" + id).at("/value/prediction");
        assertThat(p.get("heatInside").isNull() && p.get("regionArea").isNull()).as("no regions, no shares").isTrue();
    }

    /** The heat share of each 8 x 8 tile of a 64 x 64 heat map, row by row; empty when the heat is flat or zero. */
    private static double[] tileShares(GreyImage heat) {
        if (heat.width() != 64 || heat.height() != 64) {
            return new double[0];
        }
        double total = 0;
        double[] tiles = new double[64];
        for (int y = 0; y < 64; y++) {
            for (int x = 0; x < 64; x++) {
                tiles[(y / 8) * 8 + x / 8] += heat.get(x, y);
                total += heat.get(x, y);
            }
        }
        double min = Double.MAX_VALUE;
        double max = 0;
        for (int t = 0; t < 64; t++) {
            tiles[t] /= total;
            min = Math.min(min, tiles[t]);
            max = Math.max(max, tiles[t]);
        }
        return total > 0 && max - min > 1e-3 ? tiles : new double[0];
    }

    private static String box(int tile, int baseVersion) {
        return "{\"baseVersion\": " + baseVersion + ", \"type\": \"lesion\", \"label\": \"probe\", \"box\": {\"x\": "
                + (tile % 8) * 8 + ", \"y\": " + (tile / 8) * 8 + ", \"width\": 8, \"height\": 8}}";
    }

    /** The predicted image whose heat map has the most heat in all (so its overlay is surely visible). */
    private static String hottestImage() {
        String best = null;
        double most = -1;
        for (Map.Entry<String, GreyImage> e : HEAT.entrySet()) {
            double sum = 0;
            for (float v : e.getValue().pixels()) {
                sum += v;
            }
            if (sum > most) {
                most = sum;
                best = e.getKey();
            }
        }
        assertThat(most).as("some heat").isPositive();
        return best;
    }

    @Test
    void aHeatMapNotReadyWithinTheWaitIs503WithRetryAfterAndTheWorkGoesOn() throws Exception {
        String id = hottestImage();
        // the same model and heat thread, but a request waits 0 ms: a heat map not computed before is not ready
        try (StudioServer impatient = StudioServer.start(store, new StudioServer.Settings("127.0.0.1", 0, data, false, null,
                List.of()), new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), predictions, null, 0)) {
            String cookie = signIn(impatient);
            HttpResponse<byte[]> pending = send(impatient, "/api/images/" + id + "/heatmap.png?size=77", cookie);
            assertThat(pending.statusCode()).isEqualTo(503);
            assertThat(pending.headers().firstValue("Retry-After")).contains("2");
            JsonNode body = Json.MAPPER.readTree(pending.body());
            assertThat(body.path("code").asText()).isEqualTo("heat_map_pending");
            assertThat(body.path("message").asText()).isEqualTo("the heat map of image " + id
                    + " is still being computed; ask again in a few seconds");
            // the work went on: asked again, the PNG is there, the same as a patient request gets
            long deadline = System.nanoTime() + 60_000_000_000L;
            HttpResponse<byte[]> ready;
            while ((ready = send(impatient, "/api/images/" + id + "/heatmap.png?size=77", cookie)).statusCode() == 503) {
                assertThat(System.nanoTime()).as("the heat map is kept once computed").isLessThan(deadline);
                Thread.sleep(100);
            }
            assertThat(ready.statusCode()).isEqualTo(200);
            assertThat(ready.body()).isEqualTo(send(server, "/api/images/" + id + "/heatmap.png?size=77", signIn(server)).body());
        }
    }

    @Test
    void theQueuesUncertaintyIsTheServedModelsEntropyAndDisagreementNeedsATeacher() throws Exception {
        // a database of its own with the same images and no regions (this one's images all have regions), served with
        // the same model; its predictions are not started: the queue scores what it needs by itself
        try (AnnotationDatabase plain = AnnotationDatabase.open("annotations", dir.resolve("queue-db"), true)) {
            AnnotationStore bare = new AnnotationStore(plain);
            bare.putImages(store.images());
            bare.addPerson("ann", Role.ANNOTATOR, Credentials.hash(KEY));
            try (ModelPredictions served = ModelPredictions.open(model, bare, data, new PrintStream(new ByteArrayOutputStream(),
                    true, StandardCharsets.UTF_8));
                 StudioServer queueServer = StudioServer.start(bare, new StudioServer.Settings("127.0.0.1", 0, data, false, null,
                         List.of()), new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), served, null)) {
                String cookie = signIn(queueServer);
                HttpResponse<byte[]> answer = send(queueServer, "/api/queue?strategy=uncertainty&limit=500", cookie);
                assertThat(answer.statusCode()).as(new String(answer.body(), StandardCharsets.UTF_8)).isEqualTo(200);
                JsonNode queue = Json.MAPPER.readTree(answer.body()).path("value");
                // the candidates: every image not of the test part; zz_broken and zz_ghost are test images
                List<String> classes = bare.facets().classes();
                List<io.pneuknow.queue.Candidate> candidates = new ArrayList<>();
                for (ImageEntry image : bare.images()) {
                    if (!"test".equals(image.part())) {
                        candidates.add(new io.pneuknow.queue.Candidate(image.id(), null, classes.indexOf(image.className()),
                                PROBABILITIES.get(image.id()), null));
                    }
                }
                assertThat(candidates).as("12 training and 3 validation images per class").hasSize(45).allMatch(c -> c.student() != null);
                List<String> expected = io.pneuknow.queue.Strategy.UNCERTAINTY.rank(candidates, new int[classes.size()], 1);
                assertThat(ids(Json.MAPPER.readTree(answer.body()))).isEqualTo(expected);
                assertThat(queue.at("/model/id").asText()).isEqualTo(predictions.modelId());
                assertThat(queue.at("/model/source").asText()).isEqualTo("served");
                assertThat(queue.at("/model/teacher").asBoolean()).as("a baseline model").isFalse();
                JsonNode first = queue.path("images").get(0);
                double entropy = io.pneuknow.queue.Strategy.entropy(PROBABILITIES.get(expected.get(0)));
                assertThat(first.path("score").asDouble()).isCloseTo(entropy, within(1e-6));
                assertThat(first.path("reason").asText()).isEqualTo(String.format(java.util.Locale.ROOT, "entropy %.3f", entropy));
                assertThat(queue.path("testImages").asInt()).as("3 test images per class, zz_broken and zz_ghost").isEqualTo(11);

                HttpResponse<byte[]> refused = send(queueServer, "/api/queue?strategy=disagreement", cookie);
                assertThat(refused.statusCode()).isEqualTo(409);
                JsonNode error = Json.MAPPER.readTree(refused.body());
                assertThat(error.path("code").asText()).isEqualTo("teacher_required");
                assertThat(error.path("message").asText()).isEqualTo("disagreement compares the model's student with its teacher, "
                        + "and model " + predictions.modelId() + " (served) has no teacher (no teacher/ in its folder: not an HKD "
                        + "model); serve or promote an HKD model");
                JsonNode strategies = Json.MAPPER.readTree(send(queueServer, "/api/queue", cookie).body()).at("/value/strategies");
                assertThat(strategies).extracting(v -> v.path("available").asBoolean())
                        .as("random, stratified, uncertainty; not disagreement; coverage; not combination")
                        .containsExactly(true, true, true, false, true, false);
            }
        }
    }

    private static void assertError(HttpResponse<byte[]> answer, int status, String message) throws Exception {
        assertThat(answer.statusCode()).isEqualTo(status);
        assertThat(Json.MAPPER.readTree(answer.body()).get("message").asText()).isEqualTo(message);
    }

    /** A signed-in annotator's cookie and CSRF token. */
    record Session(String cookie, String csrf) {
        HttpResponse<byte[]> send(String method, String path, String body) throws Exception {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                    .header("Cookie", cookie).header("X-CSRF-Token", csrf).header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofByteArray());
        }
    }

    private static Session session(StudioServer on) throws Exception {
        HttpResponse<byte[]> answer = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + on.port() + "/api/login"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\": \"ann\", \"key\": \"" + KEY + "\"}")).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(answer.statusCode()).isEqualTo(200);
        String setCookie = answer.headers().firstValue("Set-Cookie").orElseThrow();
        return new Session(setCookie.substring(0, setCookie.indexOf(';')),
                Json.MAPPER.readTree(answer.body()).at("/value/csrfToken").asText());
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
