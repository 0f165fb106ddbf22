package io.pneuknow.serve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pneuknow.Json;
import io.pneuknow.browser.Browser;
import java.awt.image.BufferedImage;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * The web page as a user meets it, in headless Chromium driven over CDP ({@link Browser}): the real
 * server with a tiny model, uploads through the real file input, and checks of what is drawn (boxes,
 * computed styles, visibility, painted colours). Screenshots are kept under target/browser/ as
 * artefacts for people, never compared.
 */
@Tag("heavy")
class PageBrowserTest {
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final Path ARTEFACTS = Path.of("target", "browser");

    @TempDir
    static Path dir;
    static TinyModel tiny;
    static ModelPool pool;
    static Server server;
    static Browser browser;
    static Path good;
    static Path other;
    static Path broken;
    static Path onePixel;
    static Path tall;

    @BeforeAll
    static void start() throws Exception {
        browser = Browser.launch(dir.resolve("chromium")); // skips (or fails under pneuknow.requireHeavy) before training
        tiny = TinyModel.train(dir);
        pool = new ModelPool(tiny.model(), 1, 30_000);
        server = Server.start(pool, Server.Settings.defaults().withPort(0), new PrintStream(OutputStream.nullOutputStream()));
        good = Files.copy(tiny.image(3), dir.resolve("good-xray.png"));
        other = Files.copy(tiny.image(4), dir.resolve("second-xray.png"));
        broken = Files.writeString(dir.resolve("broken.png"), "this is not an image", StandardCharsets.UTF_8);
        onePixel = png(dir.resolve("one-pixel.png"), 1, 1);
        tall = png(dir.resolve("tall-40x256.png"), 40, 256);
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.close();
        }
        if (server != null) {
            server.close();
        }
        if (pool != null) {
            pool.close();
        }
    }

    @BeforeEach
    void openPage() throws Exception {
        browser.send("Fetch.disable", Map.of());
        browser.open(URI.create("http://127.0.0.1:" + server.port() + "/"));
        browser.waitFor("document.getElementById('model').textContent.startsWith('Model ')", WAIT);
    }

    private static Path png(Path file, int width, int height) throws Exception {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int v = 40 + (x * 7 + y * 3) % 180;
                image.getRaster().setSample(x, y, 0, v);
            }
        }
        ImageIO.write(image, "png", file.toFile());
        return file;
    }

    private static void upload(Path file) {
        browser.setFiles("#file", file);
    }

    private static void waitForResult(String name) throws InterruptedException {
        browser.waitFor("!document.getElementById('result').hidden && document.getElementById('status').textContent === "
                + Browser.quote("Analysed " + name + "."), WAIT);
    }

    private static void screenshot(TestInfo test, String suffix) throws Exception {
        browser.screenshot(ARTEFACTS.resolve(test.getTestMethod().orElseThrow().getName() + suffix + ".png"));
    }

    @Test
    void beforeAnyUploadThereAreNoEmptySectionsAndNoSlider(TestInfo test) throws Exception {
        screenshot(test, "");
        assertThat(browser.visible("#drop")).isTrue();
        assertThat(browser.visible("#result")).as("the result section before any upload").isFalse();
        assertThat(browser.visible("#opacity")).as("the opacity slider before any upload").isFalse();
        assertThat(browser.visible("#bars")).isFalse();
        assertThat(browser.visible("#image")).isFalse();
        assertThat(browser.text("#status")).isEqualTo("No image analysed yet.");
        // the [hidden] attribute wins over any display rule of the stylesheet
        assertThat(browser.evaluate("(() => { const e = document.getElementById('panels'); e.hidden = true; "
                + "const d = getComputedStyle(e).display; e.hidden = false; return d; })()").asText()).isEqualTo("none");
    }

    @Test
    void aResultNamesItsFileWithAThumbnailAndTimeAndBarsAndHeatMapComeFromOneRequest(TestInfo test) throws Exception {
        upload(good);
        waitForResult("good-xray.png");
        screenshot(test, "");
        assertThat(browser.text("#resultname")).isEqualTo("good-xray.png");
        assertThat(browser.text("#resultmeta")).matches("Analysed at \\d{1,2}:\\d{2}:\\d{2}.*· 64×64 px · request [0-9a-f]+");
        Browser.Box thumb = browser.box("#thumb");
        assertThat(thumb.visible()).isTrue();
        assertThat(thumb.width()).isLessThanOrEqualTo(70);
        assertThat(browser.evaluate("document.getElementById('thumb').naturalWidth").asInt()).isEqualTo(64);
        assertThat(browser.evaluate("document.querySelectorAll('#bars .row').length").asInt()).isEqualTo(3);
        String barsRequest = browser.evaluate("document.getElementById('bars').dataset.request").asText();
        assertThat(barsRequest).isNotBlank()
                .isEqualTo(browser.evaluate("document.getElementById('viewer').dataset.request").asText());
        assertThat(browser.visible("#image")).isTrue();
        assertThat(browser.visible("#opacity")).isTrue();
    }

    @Test
    void aNewUploadRemovesTheOldResultAtOnceAndAFailureNamesTheFile(TestInfo test) throws Exception {
        upload(good);
        waitForResult("good-xray.png");
        // hold the next explain request, so the page can be seen while the new upload is in flight
        browser.send("Fetch.enable", Map.of("patterns", List.of(Map.of("urlPattern", "*/v1/explain*"))));
        int paused = browser.events("Fetch.requestPaused").size();
        upload(other);
        waitForEvent("Fetch.requestPaused", paused);
        assertThat(browser.visible("#result")).as("the old result while the new upload is in flight").isFalse();
        assertThat(browser.visible("#bars")).isFalse();
        assertThat(browser.text("#status")).isEqualTo("Analysing second-xray.png…");
        JsonNode request = browser.events("Fetch.requestPaused").get(paused);
        browser.send("Fetch.continueRequest", Map.of("requestId", request.get("params").get("requestId").asText()));
        browser.send("Fetch.disable", Map.of());
        waitForResult("second-xray.png");
        assertThat(browser.text("#resultname")).isEqualTo("second-xray.png");

        upload(broken);
        browser.waitFor("document.getElementById('status').classList.contains('error')", WAIT);
        screenshot(test, "-failed");
        assertThat(browser.text("#status")).startsWith("Could not analyse broken.png: ")
                .contains("not a PNG, JPEG or DICOM image");
        assertThat(browser.visible("#result")).as("the previous result after a failed upload").isFalse();
        assertThat(browser.visible("#bars")).isFalse();
        assertThat(browser.visible("#image")).isFalse();
        assertThat(browser.visible("#heat")).isFalse();
        assertThat(browser.text("#resultname")).isEmpty();
        assertThat(browser.style("#status", "color")).isEqualTo("rgb(176, 0, 32)");
    }

    @Test
    void whenOnlyTheHeatMapFailsItIsShownAsFailedBesideTheSameImagesProbabilities(TestInfo test) throws Exception {
        upload(good);
        waitForResult("good-xray.png");
        browser.send("Fetch.enable", Map.of("patterns", List.of(Map.of("urlPattern", "*/v1/explain*"))));
        int paused = browser.events("Fetch.requestPaused").size();
        upload(other);
        waitForEvent("Fetch.requestPaused", paused);
        JsonNode request = browser.events("Fetch.requestPaused").get(paused);
        String body = "{\"status\":500,\"code\":\"internal\",\"message\":\"injected heat-map failure\",\"requestId\":\"x\"}";
        browser.send("Fetch.fulfillRequest", Map.of("requestId", request.get("params").get("requestId").asText(),
                "responseCode", 500, "responseHeaders", List.of(Map.of("name", "Content-Type", "value", "application/json")),
                "body", Base64.getEncoder().encodeToString(body.getBytes(StandardCharsets.UTF_8))));
        browser.send("Fetch.disable", Map.of());
        waitForResult("second-xray.png");
        screenshot(test, "");
        assertThat(browser.visible("#bars")).isTrue();
        assertThat(browser.text("#resultname")).isEqualTo("second-xray.png");
        assertThat(browser.visible("#heatfailed")).isTrue();
        assertThat(browser.text("#heatfailed")).isEqualTo("Heat map failed for second-xray.png: injected heat-map failure."
                + " The probabilities are from the same image.");
        assertThat(browser.visible("#image")).as("no heat map of the previous image").isFalse();
        assertThat(browser.visible("#heat")).isFalse();
        assertThat(browser.visible("#legend")).isFalse();
    }

    @Test
    void aOnePixelImageIsShownOutOfScopeNotAsABoldClass(TestInfo test) throws Exception {
        upload(onePixel);
        waitForResult("one-pixel.png");
        screenshot(test, "");
        String verdict = browser.text("#verdict");
        assertThat(verdict).startsWith("Out of scope: 1x1 pixels, smaller than the model's input of 64 px");
        assertThat(browser.evaluate("document.querySelectorAll('#verdict .label').length").asInt())
                .as("no class in bold").isZero();
        for (String label : List.of("cavity", "healthy", "opacity")) {
            assertThat(verdict).doesNotContain(label);
        }
        assertThat(Double.parseDouble(browser.style("#chart", "opacity"))).as("probabilities de-emphasised").isLessThan(0.6);
        assertThat(browser.style("#verdict", "font-weight")).isEqualTo("700");

        upload(good); // an in-scope image: the class in bold, probabilities at full strength
        waitForResult("good-xray.png");
        assertThat(browser.text("#verdict")).startsWith("Most likely: ");
        assertThat(browser.style("#verdict .label", "font-weight")).isEqualTo("700");
        assertThat(browser.style("#chart", "opacity")).isEqualTo("1");
    }

    @Test
    void aFortyBy256ImageIsDrawnWithinItsBoxKeepingItsAspect(TestInfo test) throws Exception {
        upload(tall);
        waitForResult("tall-40x256.png");
        screenshot(test, "");
        Browser.Box box = browser.box("#box");
        Browser.Box image = browser.box("#image");
        Browser.Box heat = browser.box("#heat");
        assertThat(image.visible()).isTrue();
        assertThat(image.height()).isCloseTo(400, within(1.0));
        assertThat(image.width() / image.height()).isCloseTo(40.0 / 256, within(0.005));
        assertThat(image.y()).isGreaterThanOrEqualTo(box.y() - 0.5);
        assertThat(image.y() + image.height()).isLessThanOrEqualTo(box.y() + box.height() + 0.5);
        assertThat(image.x()).isGreaterThanOrEqualTo(box.x() - 0.5);
        assertThat(image.x() + image.width()).isLessThanOrEqualTo(box.x() + box.width() + 0.5);
        assertThat(heat.x()).isCloseTo(image.x(), within(0.5));
        assertThat(heat.y()).isCloseTo(image.y(), within(0.5));
        assertThat(heat.width()).isCloseTo(image.width(), within(0.5));
        assertThat(heat.height()).isCloseTo(image.height(), within(0.5));
        assertThat(browser.box("#thumb").height()).isLessThanOrEqualTo(66);
    }

    @Test
    void theHeatMapLegendRunsFromALowToAHighColour(TestInfo test) throws Exception {
        upload(good);
        waitForResult("good-xray.png");
        screenshot(test, "");
        Browser.Box legend = browser.box("#legendbar");
        assertThat(legend.visible()).isTrue();
        assertThat(legend.width()).isGreaterThan(100);
        assertThat(browser.text("#legend").strip()).isEqualTo("lowhigh");
        assertThat(browser.box("#legend .end:first-child").x()).as("'low' left of the bar").isLessThan(legend.x());
        assertThat(browser.box("#legend .end:last-child").x()).as("'high' right of the bar").isGreaterThan(legend.x() + legend.width() - 1);
        double middle = legend.y() + legend.height() / 2;
        int[] low = browser.pixel(legend.x() + 2, middle);
        int[] high = browser.pixel(legend.x() + legend.width() - 3, middle);
        // jet: dark blue at 0, dark red at 1
        assertThat(low[2]).as("low end blue " + List.of(low[0], low[1], low[2])).isGreaterThan(110);
        assertThat(low[0] + low[1]).isLessThan(30);
        assertThat(high[0]).as("high end red " + List.of(high[0], high[1], high[2])).isGreaterThan(110);
        assertThat(high[1] + high[2]).isLessThan(30);
        int[] centre = browser.pixel(legend.x() + legend.width() / 2, middle);
        assertThat(centre[1]).as("green in the middle").isGreaterThan(200);
    }

    @Test
    void theModelCardShowsValidationPerformanceOrSaysItIsNotRecorded(TestInfo test) throws Exception {
        JsonNode checkpoint = Json.MAPPER.readTree(tiny.model().resolve("model.json").toFile()).get("checkpoint");
        String shown = browser.text("#validation");
        screenshot(test, "");
        assertThat(browser.visible("#validation")).isTrue();
        assertThat(shown).isEqualTo(String.format(Locale.ROOT, "Validation performance (kept epoch %d of %d, chosen by %s): "
                        + "accuracy %.3f, balanced accuracy %.3f, macro-F1 %.3f, loss %.3f.",
                checkpoint.get("epoch").asInt() + 1, checkpoint.get("epochsTrained").asInt(),
                checkpoint.get("selectedBy").asText(), checkpoint.get("valAccuracy").asDouble(),
                checkpoint.get("valBalancedAccuracy").asDouble(), checkpoint.get("valMacroF1").asDouble(),
                checkpoint.get("valLoss").asDouble()));

        // a bundle from before balanced accuracy and macro-F1 were recorded
        Path old = dir.resolve("old-model");
        Files.createDirectories(old);
        for (String f : List.of("model.params", "model.json")) {
            Files.copy(tiny.model().resolve(f), old.resolve(f));
        }
        ObjectNode card = (ObjectNode) Json.MAPPER.readTree(old.resolve("model.json").toFile());
        ((ObjectNode) card.get("checkpoint")).remove(List.of("valBalancedAccuracy", "valMacroF1", "selectedBy",
                "epochsPlanned", "stoppedEarly"));
        Json.MAPPER.writeValue(old.resolve("model.json").toFile(), card);
        try (ModelPool oldPool = new ModelPool(old, 1, 30_000);
             Server oldServer = Server.start(oldPool, Server.Settings.defaults().withPort(0),
                     new PrintStream(OutputStream.nullOutputStream()))) {
            browser.open(URI.create("http://127.0.0.1:" + oldServer.port() + "/"));
            browser.waitFor("document.getElementById('model').textContent.startsWith('Model ')", WAIT);
            assertThat(browser.text("#validation")).contains("balanced accuracy not recorded, macro-F1 not recorded")
                    .contains(String.format(Locale.ROOT, "accuracy %.3f", checkpoint.get("valAccuracy").asDouble()));
        }
    }

    @Test
    void tabReachesTheFileInputWithAVisibleFocusAndEnterOrSpaceOpensIt(TestInfo test) throws Exception {
        List<String> focused = new ArrayList<>();
        for (int i = 0; i < 12 && !focused.contains("file"); i++) {
            browser.press("Tab");
            focused.add(browser.focusedId());
        }
        assertThat(focused).as("elements Tab reached").contains("file");
        screenshot(test, "");
        assertThat(browser.style("#filebutton", "outline-style")).as("focus shown on the button").isEqualTo("solid");
        assertThat(browser.evaluate("document.getElementById('file').labels.length").asInt()).isEqualTo(1);
        assertThat(browser.evaluate("document.getElementById('opacity').labels.length").asInt()).isEqualTo(1);
        browser.send("Page.setInterceptFileChooserDialog", Map.of("enabled", true));
        try {
            int opened = browser.events("Page.fileChooserOpened").size();
            browser.press(" ");
            waitForEvent("Page.fileChooserOpened", opened);
            browser.press("Enter");
            waitForEvent("Page.fileChooserOpened", opened + 1);
        } finally {
            browser.send("Page.setInterceptFileChooserDialog", Map.of("enabled", false));
        }
    }

    private static void waitForEvent(String method, int seen) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (browser.events(method).size() <= seen) {
            assertThat(System.nanoTime()).as("waiting for " + method).isLessThan(deadline);
            Thread.sleep(20);
        }
    }
}
