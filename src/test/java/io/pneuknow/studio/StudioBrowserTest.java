package io.pneuknow.studio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import io.pneuknow.Json;
import io.pneuknow.annotate.AnnotationDatabase;
import io.pneuknow.annotate.AnnotationStore;
import io.pneuknow.annotate.Credentials;
import io.pneuknow.annotate.Role;
import io.pneuknow.annotate.StoredRegion;
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
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The studio's page in a real browser (headless Chromium over the DevTools protocol), as a radiologist works: signs
 * in by typing, draws a box and a polygon with mouse events over the server-rendered image, reloads and finds them
 * where they were drawn, exports the regions CSV through the page's session and trains on it; a second annotator
 * edits the same region at once and the page offers the conflict (overwrite with mine, keep theirs); a reviewer
 * accepts a region. Throughout, the page's Content-Security-Policy is never violated and no script error is thrown.
 * Expected coordinates are computed here from the viewer's box and the image's size (the viewer fits the image,
 * centred), not by the page's code. Screenshots go to {@code target/browser/}.
 */
class StudioBrowserTest {
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final Duration WAIT = Duration.ofSeconds(30);
    static final String ANN_KEY = Credentials.newKey();
    static final String BOB_KEY = Credentials.newKey();
    static final String REV_KEY = Credentials.newKey();
    /** Every CSP violation and uncaught error of the page, collected from its first script on. */
    static final String WATCH = "window.__problems = []; "
            + "document.addEventListener('securitypolicyviolation', e => __problems.push('csp ' + e.violatedDirective + ' ' + e.blockedURI)); "
            + "window.addEventListener('error', e => __problems.push('error ' + e.message"
            + " + (e.error && e.error.stack ? ' at ' + e.error.stack.split('\\n').slice(1, 6).map(s => s.trim()).join(' < ') : ''))); "
            + "window.addEventListener('unhandledrejection', e => __problems.push('rejection ' + e.reason));";

    @TempDir
    static Path dir;
    static Path data;
    static AnnotationDatabase database;
    static AnnotationStore store;
    static StudioServer server;

    /** A synthetic data set (128 px, 3 classes, its lesion and lung regions imported) and three people. */
    @BeforeAll
    static void start() throws Exception {
        data = dir.resolve("data");
        cli("data", "synthetic", "--out", data.toString(), "--train", "6", "--val", "2", "--test", "2", "--image-size", "128");
        cli("annotations", "import", "--data", data.toString(), "--regions", "regions.csv", "--split-column", "split");
        database = AnnotationDatabase.open("annotations", data, false);
        store = new AnnotationStore(database);
        store.addPerson("ann", Role.ANNOTATOR, Credentials.hash(ANN_KEY));
        store.addPerson("bob", Role.ANNOTATOR, Credentials.hash(BOB_KEY));
        store.addPerson("rev", Role.REVIEWER, Credentials.hash(REV_KEY));
        server = StudioServer.start(store, new StudioServer.Settings("127.0.0.1", 0, data, false, null, List.of()),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    }

    @AfterAll
    static void stop() {
        server.close();
        database.close();
    }

    @Test
    void drawsABoxAndAPolygonThatSurviveAReloadAndTheExportTrains() throws Exception {
        assertThat(WebPage.bundled()).as("the jar holds the page's web components (studio-web/build.sh ran)").isTrue();
        try (Browser browser = Browser.launch(dir.resolve("browser"))) {
            signIn(browser, "ann", ANN_KEY);
            String imageId = "syn_00002";
            openFromList(browser, imageId);
            int before = store.regions(imageId).size();

            browser.click("#tool-rect");
            double[] a = screen(browser, 20, 30);
            double[] b = screen(browser, 60, 80);
            browser.drag(a[0], a[1], b[0], b[1], 10);
            browser.waitFor("document.body.dataset.saved === 'saved' && document.querySelectorAll('#region-list li[data-region-id]').length === "
                    + (before + 1), WAIT);

            browser.click("#tool-polygon");
            double[] p1 = screen(browser, 84, 20);
            double[] p2 = screen(browser, 112, 34);
            double[] p3 = screen(browser, 100, 70);
            browser.drag(p1[0], p1[1], p2[0], p2[1], 6); // over another region a polygon starts with a press dragged to its second corner
            browser.mouseMove((p2[0] + p3[0]) / 2, (p2[1] + p3[1]) / 2);
            browser.click(p3[0], p3[1], 1);
            browser.click(p3[0], p3[1], 2);
            browser.waitFor("document.body.dataset.saved === 'saved' && document.querySelectorAll('#region-list li[data-region-id]').length === "
                    + (before + 2), WAIT);

            List<StoredRegion> drawn = store.regions(imageId).stream().filter(r -> r.author().equals("ann")).toList();
            assertThat(drawn).hasSize(2);
            StoredRegion box = drawn.stream().filter(r -> r.draft().geometry().box() != null
                    && r.draft().geometry().polygon().isEmpty()).findFirst().orElseThrow();
            assertThat(box.draft().type()).isEqualTo("lesion");
            assertThat(box.draft().label()).as("the label defaults to the image's class").isEqualTo(store.image(imageId).orElseThrow().className());
            assertThat(new int[] {box.draft().geometry().box().x(), box.draft().geometry().box().y(),
                    box.draft().geometry().box().width(), box.draft().geometry().box().height()})
                    .satisfies(v -> assertThat(v[0]).isCloseTo(20, within(1)))
                    .satisfies(v -> assertThat(v[1]).isCloseTo(30, within(1)))
                    .satisfies(v -> assertThat(v[2]).isCloseTo(40, within(1)))
                    .satisfies(v -> assertThat(v[3]).isCloseTo(50, within(1)));
            StoredRegion polygon = drawn.stream().filter(r -> !r.draft().geometry().polygon().isEmpty()).findFirst().orElseThrow();
            var corners = polygon.draft().geometry().polygon();
            assertThat(corners).as("three corners, the closing double-click not repeated").hasSize(3);
            double[][] expected = {{84, 20}, {112, 34}, {100, 70}};
            for (int i = 0; i < 3; i++) {
                assertThat(corners.get(i).x()).isCloseTo(expected[i][0], within(1.0));
                assertThat(corners.get(i).y()).isCloseTo(expected[i][1], within(1.0));
            }

            // a free-hand trace: a circle of radius 20 around (64, 64), in 60 moves; saved as a polygon near the trace
            browser.click("#tool-freehand");
            double[] start = screen(browser, 84, 64);
            browser.mouseMove(start[0], start[1]);
            browser.send("Input.dispatchMouseEvent", Map.of("type", "mousePressed", "x", start[0], "y", start[1], "button", "left",
                    "buttons", 1, "clickCount", 1));
            for (int i = 1; i <= 60; i++) {
                double angle = 2 * Math.PI * i / 60;
                double[] at = screen(browser, 64 + 20 * Math.cos(angle), 64 + 20 * Math.sin(angle));
                browser.send("Input.dispatchMouseEvent", Map.of("type", "mouseMoved", "x", at[0], "y", at[1], "button", "left",
                        "buttons", 1));
            }
            browser.send("Input.dispatchMouseEvent", Map.of("type", "mouseReleased", "x", start[0], "y", start[1], "button", "left",
                    "buttons", 0, "clickCount", 1));
            browser.waitFor("document.body.dataset.saved === 'saved' && document.querySelectorAll('#region-list li[data-region-id]').length === "
                    + (before + 3), WAIT);
            StoredRegion traced = store.regions(imageId).stream().filter(r -> r.author().equals("ann"))
                    .filter(r -> r.id() != box.id() && r.id() != polygon.id()).findFirst().orElseThrow();
            var outline = traced.draft().geometry().polygon();
            assertThat(outline.size()).as("simplified to within 1 px of the trace, not every mouse move").isBetween(8, 40);
            for (var corner : outline) {
                assertThat(Math.hypot(corner.x() - 64, corner.y() - 64)).isCloseTo(20, within(1.5));
            }
            browser.screenshot(Path.of("target/browser/studio-viewer.png"));

            // a reload: still signed in, and the shapes are drawn where they were drawn
            int loads = browser.events("Page.loadEventFired").size();
            browser.send("Page.reload", Map.of());
            for (long deadline = System.nanoTime() + WAIT.toNanos(); browser.events("Page.loadEventFired").size() == loads; ) {
                assertThat(System.nanoTime()).as("the reload's load event").isLessThan(deadline);
                Thread.sleep(20);
            }
            browser.waitFor("document.body && document.body.dataset.viewer", WAIT);
            openFromList(browser, imageId);
            assertThat(browser.evaluate("document.querySelectorAll('#region-list li[data-region-id]').length").asInt()).isEqualTo(before + 3);
            Browser.Box shown = browser.box("[data-id='#region-" + box.id() + "'] .a9s-inner");
            double[] topLeft = screen(browser, 20, 30);
            double[] bottomRight = screen(browser, 60, 80);
            assertThat(shown.x()).isCloseTo(topLeft[0], within(3.0));
            assertThat(shown.y()).isCloseTo(topLeft[1], within(3.0));
            assertThat(shown.x() + shown.width()).isCloseTo(bottomRight[0], within(3.0));
            assertThat(shown.y() + shown.height()).isCloseTo(bottomRight[1], within(3.0));
            assertThat(browser.evaluate("document.querySelectorAll('.a9s-annotation polygon').length").asInt()).isGreaterThanOrEqualTo(1);

            // window and level: the server renders again; a grey g of the full window shows as (g - 0.05) / 0.6 in "Lung"
            double[][] probes = {screen(browser, 40.5, 70.5), screen(browser, 64.5, 20.5), screen(browser, 100.5, 100.5)};
            int[] full = new int[probes.length];
            for (int i = 0; i < probes.length; i++) {
                full[i] = browser.pixel(probes[i][0], probes[i][1])[0];
            }
            browser.click(".preset[data-level='35']");
            browser.waitFor("viewer.world.getItemCount() === 1 && viewer.world.getItemAt(0).source.url.includes('centre=0.35&width=0.6')"
                    + " && viewer.world.getItemAt(0).getFullyLoaded()", WAIT);
            Thread.sleep(700);
            for (int i = 0; i < probes.length; i++) {
                double windowed = Math.max(0, Math.min(1, (full[i] / 255.0 - 0.05) / 0.6)) * 255;
                assertThat((double) browser.pixel(probes[i][0], probes[i][1])[0]).as("probe " + i + " (full window " + full[i] + ")")
                        .isCloseTo(windowed, within(3.0));
            }
            browser.click(".preset[data-level='50']");

            // the keyboard walks the list
            browser.evaluate("document.activeElement.blur(); true");
            browser.send("Input.dispatchKeyEvent", Map.of("type", "keyDown", "key", "j", "code", "KeyJ", "text", "j"));
            browser.waitFor("document.body.dataset.viewer === 'syn_00003'", WAIT);

            // the export, through the page's own session, trains
            String csv = browser.evaluate("fetch('/api/export/regions.csv').then(r => r.text())").asText();
            assertThat(csv.lines()).contains(imageId + "," + box.draft().geometry().box().x() + "," + box.draft().geometry().box().y()
                    + "," + box.draft().geometry().box().width() + "," + box.draft().geometry().box().height() + ","
                    + box.draft().label() + ",lesion,");
            Files.writeString(data.resolve("exported.csv"), csv);
            Path run = dir.resolve("run");
            cli("train", "--data", data.toString(), "--regions", "exported.csv", "--region-type", "lesion",
                    "--architecture", "tiny_cnn", "--input-size", "32", "--epochs", "1", "--teacher-epochs", "1",
                    "--student-epochs", "1", "--method", "hkd", "--threads", "1", "--out", run.toString());
            assertThat(run.resolve("model.json")).isRegularFile();
            assertThat(browser.evaluate("JSON.stringify(window.__problems)").asText()).isEqualTo("[]");
        }
    }

    @Test
    void aSecondAnnotatorsEditIsOfferedNeverLostAndAReviewerAccepts() throws Exception {
        String imageId = "syn_00005";
        StoredRegion region = store.regions(imageId).stream().filter(r -> r.draft().geometry().kind().text().equals("box"))
                .findFirst().orElseThrow();
        try (Browser browser = Browser.launch(dir.resolve("browser2"))) {
            signIn(browser, "ann", ANN_KEY);
            openFromList(browser, imageId);

            // bob saves a new label while ann has the image open; ann's save then meets his version
            String bob = signInOverHttp("bob", BOB_KEY);
            editLabel(bob, region, region.version(), "bob-label");
            browser.click("#region-list li[data-region-id='" + region.id() + "']");
            browser.evaluate("document.getElementById('edit-label').value = 'ann-label'; true");
            browser.click("#edit-save");
            browser.waitFor("!document.getElementById('conflict').hidden", WAIT);
            assertThat(browser.text("#conflict-text")).startsWith("bob saved this region as \"" + region.draft().type() + " · bob-label\" (version "
                    + (region.version() + 1) + ")");
            browser.screenshot(Path.of("target/browser/studio-conflict.png"));
            browser.click("#conflict-mine");
            browser.waitFor("document.getElementById('conflict').hidden && document.body.dataset.saved === 'saved'", WAIT);
            StoredRegion mine = store.region(region.id()).orElseThrow();
            assertThat(mine.draft().label()).isEqualTo("ann-label");
            assertThat(mine.version()).isEqualTo(region.version() + 2);
            assertThat(store.history(region.id())).extracting(v -> v.changedBy() + " " + v.draft().label())
                    .contains("bob bob-label", "ann ann-label");

            // once more, and this time ann keeps bob's
            editLabel(bob, mine, mine.version(), "bob-again");
            browser.click("#region-list li[data-region-id='" + region.id() + "']");
            browser.evaluate("document.getElementById('edit-label').value = 'ann-again'; true");
            browser.click("#edit-save");
            browser.waitFor("!document.getElementById('conflict').hidden", WAIT);
            browser.click("#conflict-theirs");
            browser.waitFor("document.getElementById('conflict').hidden", WAIT);
            assertThat(store.region(region.id()).orElseThrow().draft().label()).isEqualTo("bob-again");
            assertThat(browser.text("#region-list li[data-region-id='" + region.id() + "']")).contains("bob-again");

            // a reviewer accepts it
            browser.click("#logout");
            browser.waitFor("document.getElementById('login') && !document.getElementById('login').hidden", WAIT);
            signIn(browser, "rev", REV_KEY);
            openFromList(browser, imageId);
            assertThat(browser.evaluate("document.getElementById('tool-rect').disabled").asBoolean()).as("a reviewer does not draw").isTrue();
            browser.click("#region-list li[data-region-id='" + region.id() + "'] button.review-accept");
            browser.waitFor("document.body.dataset.saved === 'saved'", WAIT);
            StoredRegion reviewed = store.region(region.id()).orElseThrow();
            assertThat(reviewed.review().text()).isEqualTo("accepted");
            assertThat(reviewed.reviewer()).isEqualTo("rev");
            browser.screenshot(Path.of("target/browser/studio-review.png"));
            assertThat(browser.evaluate("JSON.stringify(window.__problems)").asText()).isEqualTo("[]");
        }
    }

    /**
     * A box just drawn is moved with the Select tool: after drawing, the toolbar's Select button (and the V key) switch
     * to selecting without a script error, a click selects the box and a drag of a known size moves the saved region by
     * exactly that, read back through the API.
     */
    @Test
    void selectMovesABoxJustDrawnByADragOfKnownSize() throws Exception {
        String imageId = "syn_00007";
        try (Browser browser = Browser.launch(dir.resolve("browser-select"))) {
            signIn(browser, "ann", ANN_KEY);
            openFromList(browser, imageId);
            int before = browser.evaluate("document.querySelectorAll('#region-list li[data-region-id]').length").asInt();

            // a small box (the smallest shape under a click is the one selected), away from the image's edges
            browser.click("#tool-rect");
            double[] a = screen(browser, 30, 40);
            double[] b = screen(browser, 46, 56);
            browser.drag(a[0], a[1], b[0], b[1], 10);
            browser.waitFor("document.body.dataset.saved === 'saved' && document.querySelectorAll('#region-list li[data-region-id]').length === "
                    + (before + 1), WAIT);
            long id = drawnBy(browser, imageId, "ann").stream().mapToLong(r -> r.get("id").asLong()).max().orElseThrow();
            int[] drawn = boxOf(browser, id);
            assertThat(drawn[0]).as("x drawn").isCloseTo(30, within(1));
            assertThat(drawn[1]).as("y drawn").isCloseTo(40, within(1));
            assertThat(drawn[2]).as("width drawn").isCloseTo(16, within(1));
            assertThat(drawn[3]).as("height drawn").isCloseTo(16, within(1));

            browser.click("#tool-select");
            Thread.sleep(300);
            assertThat(problems(browser)).as("script errors after drawing a box and clicking Select").isEqualTo("[]");
            assertThat(browser.evaluate("document.getElementById('tool-select').getAttribute('aria-pressed')").asText()).isEqualTo("true");
            key(browser, "b");
            key(browser, "v");
            Thread.sleep(300);
            assertThat(problems(browser)).as("script errors after the keys B and V").isEqualTo("[]");
            assertThat(browser.evaluate("document.getElementById('tool-select').getAttribute('aria-pressed')").asText()).isEqualTo("true");

            // a click on the box selects it (the list shows it selected, Annotorious its editable shape)
            double[] centre = screen(browser, 38, 48);
            browser.mouseMove(centre[0] - 3, centre[1] - 3);
            browser.click(centre[0], centre[1], 1);
            browser.waitFor("document.querySelector(\"#region-list li.selected[data-region-id='" + id + "']\") !== null"
                    + " && document.querySelector(\".a9s-annotation.editable.selected[data-id='#region-" + id + "']\") !== null", WAIT);
            Thread.sleep(100);

            // a drag of 12 by 9 image pixels from inside the box moves it, saved as soon as the mouse is let go
            double[] to = screen(browser, 38 + 12, 48 + 9);
            browser.drag(centre[0], centre[1], to[0], to[1], 12);
            browser.waitFor("document.body.dataset.saved === 'saved'", WAIT);
            for (long deadline = System.nanoTime() + WAIT.toNanos(); boxOf(browser, id)[0] == drawn[0]; ) {
                assertThat(System.nanoTime()).as("the moved box saved").isLessThan(deadline);
                Thread.sleep(50);
            }
            int[] moved = boxOf(browser, id);
            assertThat(moved[0] - drawn[0]).as("moved along x").isCloseTo(12, within(1));
            assertThat(moved[1] - drawn[1]).as("moved along y").isCloseTo(9, within(1));
            assertThat(moved[2]).as("width kept").isEqualTo(drawn[2]);
            assertThat(moved[3]).as("height kept").isEqualTo(drawn[3]);
            assertThat(drawnBy(browser, imageId, "ann")).as("moved, not copied").hasSize(1);
            browser.screenshot(Path.of("target/browser/studio-select-moved.png"));
            assertThat(problems(browser)).isEqualTo("[]");
        }
    }

    /**
     * Every switch of tool after drawing with each tool, by the toolbar's buttons and by the keys B, P, D and V (the
     * pointer going straight from the shape just drawn to the button), and Escape: no script error, the chosen tool
     * pressed, and the next shape drawn with it saved. A polygon left half drawn is dropped by a switch and by Escape.
     */
    @Test
    void everyToolSwitchAfterDrawingWithEachToolThrowsNothingAndTheNextToolDraws() throws Exception {
        String imageId = "syn_00006";
        try (Browser browser = Browser.launch(dir.resolve("browser-tools"))) {
            signIn(browser, "ann", ANN_KEY);
            openFromList(browser, imageId);
            int count = browser.evaluate("document.querySelectorAll('#region-list li[data-region-id]').length").asInt();
            // {how to pick the tool, the tool}; each picked tool then draws in the next cell of a 5 x 4 grid
            String[][] steps = {
                {"#tool-rect", "rect"}, {"#tool-polygon", "polygon"}, {"#tool-freehand", "freehand"}, {"#tool-select", "select"},
                {"b", "rect"}, {"v", "select"}, {"p", "polygon"}, {"#tool-select", "select"}, {"d", "freehand"},
                {"#tool-rect", "rect"}, {"#tool-freehand", "freehand"}, {"v", "select"}, {"#tool-polygon", "polygon"},
                {"b", "rect"}, {"p", "polygon"}, {"d", "freehand"}, {"b", "rect"}, {"Escape", "rect"}, {"v", "select"},
            };
            int cell = 0;
            for (String[] step : steps) {
                if (step[0].startsWith("#")) {
                    browser.click(step[0]);
                } else if (step[0].equals("Escape")) {
                    browser.evaluate("document.activeElement && document.activeElement.blur(); true");
                    browser.press("Escape");
                } else {
                    key(browser, step[0]);
                }
                Thread.sleep(150);
                String after = "after " + step[0] + " (" + cell + " shapes drawn)";
                assertThat(problems(browser)).as("script errors " + after).isEqualTo("[]");
                String pressed = switch (step[1]) {
                    case "rect" -> "tool-rect";
                    case "polygon" -> "tool-polygon";
                    case "freehand" -> "tool-freehand";
                    default -> "tool-select";
                };
                assertThat(browser.evaluate("document.querySelector('.tool[aria-pressed=true]').id").asText()).as(after).isEqualTo(pressed);
                if (step[1].equals("select")) {
                    continue;
                }
                double x = 6 + 24 * (cell % 5), y = 6 + 30 * (cell / 5);
                cell++;
                switch (step[1]) {
                    case "rect" -> {
                        double[] a = screen(browser, x, y);
                        double[] b = screen(browser, x + 14, y + 14);
                        browser.drag(a[0], a[1], b[0], b[1], 6);
                    }
                    case "polygon" -> {
                        double[] p1 = screen(browser, x, y);
                        double[] p2 = screen(browser, x + 14, y + 4);
                        double[] p3 = screen(browser, x + 6, y + 14);
                        browser.drag(p1[0], p1[1], p2[0], p2[1], 4);
                        browser.mouseMove((p2[0] + p3[0]) / 2, (p2[1] + p3[1]) / 2);
                        browser.click(p3[0], p3[1], 1);
                        browser.click(p3[0], p3[1], 2);
                    }
                    default -> trace(browser, x + 7, y + 7, 6);
                }
                count++;
                browser.waitFor("document.body.dataset.saved === 'saved' && document.querySelectorAll('#region-list li[data-region-id]').length === "
                        + count, WAIT);
                assertThat(problems(browser)).as("script errors drawing with " + step[1] + " " + after).isEqualTo("[]");
            }
            assertThat(drawnBy(browser, imageId, "ann")).hasSize(cell);

            // a polygon half drawn (two corners) is dropped by Select, by another tool and by Escape; the next one draws
            for (String leave : new String[] {"#tool-select", "b", "Escape"}) {
                key(browser, "p");
                double[] p1 = screen(browser, 100, 100);
                double[] p2 = screen(browser, 112, 104);
                browser.drag(p1[0], p1[1], p2[0], p2[1], 4);
                browser.mouseMove(p2[0] + 5, p2[1] + 5);
                assertThat(browser.evaluate("document.querySelectorAll('.a9s-selection').length").asInt()).as("half drawn").isEqualTo(1);
                if (leave.startsWith("#")) {
                    browser.click(leave);
                } else if (leave.equals("Escape")) {
                    browser.press("Escape");
                } else {
                    key(browser, leave);
                }
                Thread.sleep(150);
                assertThat(browser.evaluate("document.querySelectorAll('.a9s-selection').length").asInt()).as("dropped by " + leave).isZero();
                assertThat(problems(browser)).as("script errors after leaving a half-drawn polygon with " + leave).isEqualTo("[]");
            }
            assertThat(drawnBy(browser, imageId, "ann")).as("nothing saved from the half-drawn polygons").hasSize(cell);
            key(browser, "p");
            double[] p1 = screen(browser, 100, 100);
            double[] p2 = screen(browser, 116, 104);
            double[] p3 = screen(browser, 106, 118);
            browser.drag(p1[0], p1[1], p2[0], p2[1], 4);
            browser.click(p3[0], p3[1], 1);
            browser.click(p3[0], p3[1], 2);
            browser.waitFor("document.body.dataset.saved === 'saved' && document.querySelectorAll('#region-list li[data-region-id]').length === "
                    + (count + 1), WAIT);
            assertThat(problems(browser)).isEqualTo("[]");
        }
    }

    /** A free-hand trace: a circle of radius r around (x, y) in image pixels, pressed, traced in 40 moves, let go. */
    private static void trace(Browser browser, double x, double y, double r) {
        double[] start = screen(browser, x + r, y);
        browser.mouseMove(start[0], start[1]);
        browser.send("Input.dispatchMouseEvent", Map.of("type", "mousePressed", "x", start[0], "y", start[1], "button", "left",
                "buttons", 1, "clickCount", 1));
        for (int i = 1; i <= 40; i++) {
            double angle = 2 * Math.PI * i / 40;
            double[] at = screen(browser, x + r * Math.cos(angle), y + r * Math.sin(angle));
            browser.send("Input.dispatchMouseEvent", Map.of("type", "mouseMoved", "x", at[0], "y", at[1], "button", "left",
                    "buttons", 1));
        }
        browser.send("Input.dispatchMouseEvent", Map.of("type", "mouseReleased", "x", start[0], "y", start[1], "button", "left",
                "buttons", 0, "clickCount", 1));
    }

    /** The page's errors and CSP violations so far, as JSON, each error with its stack where it has one. */
    private static String problems(Browser browser) {
        return browser.evaluate("JSON.stringify(window.__problems)").asText();
    }

    /** A letter key pressed and let go, with nothing focused (the workspace's shortcuts). */
    private static void key(Browser browser, String letter) {
        browser.evaluate("document.activeElement && document.activeElement.blur(); true");
        String code = "Key" + letter.toUpperCase();
        int keyCode = letter.toUpperCase().charAt(0);
        browser.send("Input.dispatchKeyEvent", Map.of("type", "keyDown", "key", letter, "code", code, "text", letter,
                "windowsVirtualKeyCode", keyCode, "nativeVirtualKeyCode", keyCode));
        browser.send("Input.dispatchKeyEvent", Map.of("type", "keyUp", "key", letter, "code", code,
                "windowsVirtualKeyCode", keyCode, "nativeVirtualKeyCode", keyCode));
    }

    /** The image's regions that a person drew, as the API answers them to the page's session. */
    private static List<JsonNode> drawnBy(Browser browser, String imageId, String author) throws Exception {
        JsonNode image = Json.MAPPER.readTree(browser.evaluate("fetch('/api/images/" + imageId
                + "').then(r => r.text())").asText()).get("value");
        List<JsonNode> regions = new java.util.ArrayList<>();
        for (JsonNode region : image.get("regions")) {
            if (!region.path("deleted").asBoolean() && author.equals(region.path("author").asText())) {
                regions.add(region);
            }
        }
        return regions;
    }

    /** A region's box (x, y, width, height in the original image's pixels) as the API answers it. */
    private static int[] boxOf(Browser browser, long regionId) throws Exception {
        JsonNode history = Json.MAPPER.readTree(browser.evaluate("fetch('/api/regions/" + regionId
                + "/history').then(r => r.text())").asText()).get("value").get("versions");
        JsonNode box = history.get(history.size() - 1).get("geometry").get("box");
        return new int[] {box.get("x").asInt(), box.get("y").asInt(), box.get("width").asInt(), box.get("height").asInt()};
    }

    /** Opens the page, types name and key into the sign-in form and waits for the first image. */
    private static void signIn(Browser browser, String name, String key) throws Exception {
        if (!browser.evaluate("location.href.startsWith('http')").asBoolean()) {
            browser.send("Page.addScriptToEvaluateOnNewDocument", Map.of("source", WATCH));
            browser.send("Page.navigate", Map.of("url", "http://127.0.0.1:" + server.port() + "/"));
        }
        browser.waitFor("document.getElementById('login') && !document.getElementById('login').hidden", WAIT);
        browser.click("#login-name");
        browser.type(name);
        browser.click("#login-key");
        browser.type(key);
        browser.click("#login button[type=submit]");
        browser.waitFor("document.body.dataset.viewer", WAIT);
    }

    /** Clicks the image in the list and waits until the viewer shows it, fitted. */
    private static void openFromList(Browser browser, String imageId) throws Exception {
        browser.waitFor("document.querySelector(\"#image-list li[data-id='" + imageId + "']\")", WAIT);
        browser.evaluate("document.querySelector(\"#image-list li[data-id='" + imageId + "']\").scrollIntoView(); true");
        browser.click("#image-list li[data-id='" + imageId + "']");
        browser.waitFor("document.body.dataset.viewer === '" + imageId + "'", WAIT);
        Thread.sleep(700); // OpenSeadragon's fit animation
    }

    /** Where a pixel of the 128x128 image is on the screen: the viewer fits the image, centred. */
    private static double[] screen(Browser browser, double x, double y) {
        Browser.Box viewer = browser.box("#viewer");
        double side = 128;
        double scale = Math.min(viewer.width() / side, viewer.height() / side);
        double left = viewer.x() + (viewer.width() - side * scale) / 2;
        double top = viewer.y() + (viewer.height() - side * scale) / 2;
        return new double[] {left + x * scale, top + y * scale};
    }

    private static String signInOverHttp(String name, String key) throws Exception {
        HttpResponse<String> answer = HTTP.send(request("/api/login").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\": \"" + name + "\", \"key\": \"" + key + "\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(answer.statusCode()).isEqualTo(200);
        String cookie = answer.headers().firstValue("Set-Cookie").orElseThrow();
        return cookie.substring(0, cookie.indexOf(';')) + "\n" + Json.MAPPER.readTree(answer.body()).at("/value/csrfToken").asText();
    }

    private static void editLabel(String session, StoredRegion region, int baseVersion, String label) throws Exception {
        String[] parts = session.split("\n");
        var box = region.draft().geometry().box();
        String body = "{\"baseVersion\": " + baseVersion + ", \"type\": \"" + region.draft().type() + "\", \"label\": \"" + label
                + "\", \"box\": {\"x\": " + box.x() + ", \"y\": " + box.y() + ", \"width\": " + box.width() + ", \"height\": "
                + box.height() + "}}";
        HttpResponse<String> answer = HTTP.send(request("/api/regions/" + region.id()).header("Cookie", parts[0])
                .header("X-CSRF-Token", parts[1]).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
    }

    private static HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path));
    }

    private static void cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        assertThat(code).as(String.join(" ", args) + "\n" + out + err).isZero();
    }
}
