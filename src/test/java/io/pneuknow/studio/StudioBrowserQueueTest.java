package io.pneuknow.studio;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.pneuknow.annotate.AnnotationDatabase;
import io.pneuknow.annotate.AnnotationStore;
import io.pneuknow.annotate.Credentials;
import io.pneuknow.annotate.Geometry;
import io.pneuknow.annotate.ImageEntry;
import io.pneuknow.annotate.Person;
import io.pneuknow.annotate.RegionDraft;
import io.pneuknow.annotate.Role;
import io.pneuknow.browser.Browser;
import io.pneuknow.cli.Main;
import io.pneuknow.queue.Candidate;
import io.pneuknow.queue.Strategy;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The "Next to annotate" tab in a real browser (headless Chromium): a synthetic data set (128 px; classes cavity,
 * healthy, opacity) imported without regions, then two cavity images given a region and one opacity image a "no
 * finding" mark, so the classes have 2, 0 and 1 annotated. The panel names the default strategy, random, and says why;
 * its order is {@link Strategy#rank}'s, computed here from the database's unannotated images outside the test part with
 * the same seed; coverage gives the order worked out by hand (healthy, healthy, opacity, then round-robin from cavity);
 * uncertainty says it needs a model; a box drawn on the first queued image takes it out of the panel, the rest keeping
 * Strategy.rank's order of what is left. No script error and no CSP violation. Screenshot: target/browser/studio-queue.png.
 */
class StudioBrowserQueueTest {
    static final Duration WAIT = Duration.ofSeconds(30);
    static final String KEY = Credentials.newKey();
    static final List<String> CLASSES = List.of("cavity", "healthy", "opacity");

    @TempDir
    static Path dir;
    static Path data;
    static AnnotationDatabase database;
    static AnnotationStore store;
    static StudioServer server;

    @BeforeAll
    static void start() {
        data = dir.resolve("data");
        cli("data", "synthetic", "--out", data.toString(), "--train", "6", "--val", "2", "--test", "2", "--image-size", "128");
        cli("annotations", "import", "--data", data.toString(), "--split-column", "split");
        database = AnnotationDatabase.open("annotations", data, false);
        store = new AnnotationStore(database);
        Person ann = store.addPerson("ann", Role.ANNOTATOR, Credentials.hash(KEY));
        List<ImageEntry> training = store.images().stream().filter(i -> i.part().equals("train")).toList();
        List<ImageEntry> cavity = training.stream().filter(i -> i.className().equals("cavity")).toList();
        ImageEntry opacity = training.stream().filter(i -> i.className().equals("opacity")).findFirst().orElseThrow();
        for (ImageEntry image : cavity.subList(0, 2)) {
            store.createRegion(image.id(), new RegionDraft("lesion", "cavity", Geometry.box(30, 30, 40, 40)), ann);
        }
        store.markNoFinding(opacity.id(), store.noFinding(opacity.id()).version(), true, ann);
        server = StudioServer.start(store, new StudioServer.Settings("127.0.0.1", 0, data, false, null, List.of()),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    }

    @AfterAll
    static void stop() {
        server.close();
        database.close();
    }

    /** The candidates as computed here, from the store: unannotated, unmarked, not of the test part. */
    static List<Candidate> candidates() {
        List<Candidate> out = new ArrayList<>();
        for (AnnotationStore.ImageRow row : store.images(new AnnotationStore.ImageQuery(null, null, null, null, 0, 1000)).rows()) {
            if (!row.image().part().equals("test") && row.regions() == 0 && !row.noFinding()) {
                out.add(new Candidate(row.image().id(), null, CLASSES.indexOf(row.image().className())));
            }
        }
        return out;
    }

    /** Annotated images (a live region or the mark) per class, test part left out. */
    static int[] annotated() {
        int[] count = new int[CLASSES.size()];
        for (AnnotationStore.ImageRow row : store.images(new AnnotationStore.ImageQuery(null, null, null, null, 0, 1000)).rows()) {
            if (!row.image().part().equals("test") && (row.regions() > 0 || row.noFinding())) {
                count[CLASSES.indexOf(row.image().className())]++;
            }
        }
        return count;
    }

    static List<String> shown(Browser browser, String data) {
        List<String> out = new ArrayList<>();
        for (JsonNode value : browser.evaluate("[...document.querySelectorAll('#queue-list li')].map(li => li.dataset." + data + ")")) {
            out.add(value.asText());
        }
        return out;
    }

    @Test
    void thePanelRanksAsStrategyRankCoverageAsTheRuleSaysAndAnAnnotatedImageLeaves() throws Exception {
        assertThat(annotated()).containsExactly(2, 0, 1);
        try (Browser browser = Browser.launch(dir.resolve("browser"))) {
            browser.send("Page.addScriptToEvaluateOnNewDocument", Map.of("source", StudioBrowserTest.WATCH));
            browser.send("Page.navigate", Map.of("url", "http://127.0.0.1:" + server.port() + "/"));
            browser.waitFor("document.getElementById('login') && !document.getElementById('login').hidden", WAIT);
            browser.click("#login-name");
            browser.type("ann");
            browser.click("#login-key");
            browser.type(KEY);
            browser.click("#login button[type=submit]");
            browser.waitFor("document.body.dataset.viewer", WAIT);

            // the default: random, named, with its reason; Strategy.rank's order of the same candidates and seed
            browser.click("#tab-queue");
            browser.waitFor("(document.body.dataset.queue || '').startsWith('random:')", WAIT);
            assertThat(browser.text("#queue-title")).isEqualTo("Next to annotate: Random order");
            assertThat(browser.text("#queue-why")).startsWith("Random order: no strategy has beaten it in our simulations")
                    .contains("docs/results.md");
            assertThat(browser.evaluate("document.getElementById('queue-strategy').value").asText()).isEqualTo("random");
            List<Candidate> candidates = candidates();
            assertThat(candidates).hasSize(3 * (6 + 2) - 3); // 6 train and 2 val images per class, 3 of them annotated
            List<String> random = Strategy.RANDOM.rank(candidates, annotated(), AnnotationQueue.DEFAULT_SEED);
            assertThat(shown(browser, "id")).as("the first page of 20").isEqualTo(random.subList(0, 20));
            assertThat(browser.text("#queue-info")).isEqualTo("1–20 of 21");
            assertThat(browser.text("#queue-status")).contains("21 images have no regions", "the 6 test-part images are never offered");
            assertThat(shown(browser, "id")).noneMatch(id -> store.image(id).orElseThrow().part().equals("test"));

            // coverage: healthy has 0 annotated, opacity 1, cavity 2: healthy, healthy (tied with opacity at 1, lower
            // index), opacity, then all at 2: cavity, healthy, opacity, ...
            choose(browser, "coverage");
            browser.waitFor("(document.body.dataset.queue || '').startsWith('coverage:')", WAIT);
            assertThat(browser.text("#queue-title")).isEqualTo("Next to annotate: Class coverage (least annotated first)");
            assertThat(shown(browser, "className").subList(0, 6))
                    .containsExactly("healthy", "healthy", "opacity", "cavity", "healthy", "opacity");
            assertThat(shown(browser, "id")).isEqualTo(Strategy.COVERAGE.rank(candidates, annotated(), AnnotationQueue.DEFAULT_SEED)
                    .subList(0, 20));
            assertThat(browser.text("#queue-list li:first-child .reason")).isEqualTo("healthy (0 so far)");
            assertThat(browser.text("#queue-why")).startsWith("Default: Random order: no strategy has beaten it");

            // a strategy that needs a model says so
            choose(browser, "uncertainty");
            browser.waitFor("document.body.dataset.queue === 'error:uncertainty'", WAIT);
            assertThat(browser.text("#queue-status")).startsWith("uncertainty needs a model (its student), and this studio has none");
            assertThat(browser.evaluate("document.querySelectorAll('#queue-list li').length").asInt()).isZero();
            assertThat(browser.text("#queue-strategy option[value=uncertainty]")).endsWith("— needs a model (its student)");

            // back to coverage: open the first queued image and draw a box on it; it leaves the panel
            choose(browser, "coverage");
            browser.waitFor("(document.body.dataset.queue || '').startsWith('coverage:21')", WAIT);
            String first = shown(browser, "id").get(0);
            browser.click("#queue-list li[data-id='" + first + "']");
            browser.waitFor("document.body.dataset.viewer === '" + first + "'", WAIT);
            Thread.sleep(700); // OpenSeadragon's fit animation
            browser.screenshot(Path.of("target/browser/studio-queue.png"));
            browser.click("#tool-rect");
            double[] a = screen(browser, 30, 40);
            double[] b = screen(browser, 70, 90);
            browser.drag(a[0], a[1], b[0], b[1], 10);
            browser.waitFor("document.body.dataset.saved === 'saved' && document.body.dataset.queue === 'coverage:20'", WAIT);
            assertThat(store.regions(first)).hasSize(1);
            assertThat(shown(browser, "id")).doesNotContain(first)
                    .isEqualTo(Strategy.COVERAGE.rank(candidates(), annotated(), AnnotationQueue.DEFAULT_SEED));
            assertThat(browser.text("#queue-info")).isEqualTo("1–20 of 20");
            assertThat(annotated()).containsExactly(2, 1, 1);

            // J walks the queue: the image now at the first place
            String next = shown(browser, "id").get(0);
            browser.evaluate("document.activeElement.blur(); true");
            browser.send("Input.dispatchKeyEvent", Map.of("type", "keyDown", "key", "j", "code", "KeyJ", "text", "j"));
            browser.waitFor("document.body.dataset.viewer === '" + next + "'", WAIT);

            assertThat(browser.evaluate("JSON.stringify(window.__problems)").asText()).isEqualTo("[]");
        }
    }

    private static void choose(Browser browser, String strategy) {
        browser.evaluate("(() => { const s = document.getElementById('queue-strategy'); s.value = '" + strategy + "'; "
                + "s.dispatchEvent(new Event('change', {bubbles: true})); return true; })()");
    }

    /** Where a pixel of the 128 x 128 image is on the screen: the viewer fits the image, centred. */
    private static double[] screen(Browser browser, double x, double y) {
        Browser.Box viewer = browser.box("#viewer");
        double scale = Math.min(viewer.width() / 128, viewer.height() / 128);
        double left = viewer.x() + (viewer.width() - 128 * scale) / 2;
        double top = viewer.y() + (viewer.height() - 128 * scale) / 2;
        return new double[] {left + x * scale, top + y * scale};
    }

    private static void cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        assertThat(code).as(String.join(" ", args) + "\n" + out + err).isZero();
    }
}
